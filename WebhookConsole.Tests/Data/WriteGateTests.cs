using WebhookConsole.Data;
using WebhookConsole.Data.Search;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Tests.Data;

/// <summary>The gate tells background work whether the console is busy; background writes must not count.</summary>
public class WriteGateTests
{
    [Fact]
    public async Task A_console_write_makes_it_busy_and_a_background_write_does_not()
    {
        var gate = new WriteGate();
        Assert.True(gate.IdleFor > TimeSpan.FromDays(1), "A gate nobody has used counts as long idle.");

        using (await gate.EnterBackgroundAsync()) { }
        Assert.True(gate.IdleFor > TimeSpan.FromDays(1), "The indexer's own writes must not hold the indexer back.");

        using (await gate.EnterAsync()) { }
        Assert.True(gate.IdleFor < JobSearchIndexer.Busy, $"Just written, yet idle for {gate.IdleFor}.");
    }

    [Fact]
    public async Task A_write_that_takes_longer_than_the_busy_window_keeps_the_console_busy_until_it_ends()
    {
        // PostgreSQL's group commits can take longer than the indexers' busy window; counted from the start of the
        // write, a busy console looked idle and the indexer ran full slices during the burst.
        var gate = new WriteGate();
        var writing = await gate.EnterAsync();
        await Task.Delay(JobSearchIndexer.Busy * 2);
        Assert.Equal(TimeSpan.Zero, gate.IdleFor);
        writing.Dispose();
        Assert.True(gate.IdleFor < JobSearchIndexer.Busy, $"Just finished writing, yet idle for {gate.IdleFor}.");
    }

    [Fact]
    public async Task Background_writers_still_wait_their_turn()
    {
        var gate = new WriteGate();
        var held = await gate.EnterAsync();
        var background = gate.EnterBackgroundAsync().AsTask();
        await Task.Delay(50);
        Assert.False(background.IsCompleted);
        held.Dispose();
        (await background).Dispose();
    }

    [Fact]
    public async Task On_postgresql_writers_do_not_queue_and_the_console_is_busy_until_the_last_one_ends()
    {
        var gate = new WriteGate(exclusive: false);
        var first = await gate.EnterAsync();
        var second = gate.EnterAsync().AsTask();
        Assert.True(second.IsCompleted, "A second writer waited for the first, which PostgreSQL does not need.");
        first.Dispose();
        Assert.Equal(TimeSpan.Zero, gate.IdleFor);
        (await second).Dispose();
        Assert.True(gate.IdleFor < JobSearchIndexer.Busy);
    }
}
