using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>
/// The outcome journal: what a killed console had heard back about but not yet committed is recorded at the next
/// start instead of being sent again, and the journal stays small under any load.
/// </summary>
public sealed class OutcomeJournalTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wc-journal-");
    private Receiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    private static SendResult Answer(DateTime at, int? status, AttemptErrorKind? kind = null, TimeSpan? retryAfter = null) =>
        new(at, 12, "http://127.0.0.1/x", [], "{}", status, [], null, 0, kind ?? (status is >= 200 and < 300 ? null : AttemptErrorKind.Http), null, retryAfter);

    [Fact]
    public void Entries_read_back_as_written_and_a_torn_or_foreign_tail_is_skipped()
    {
        var journal = OutcomeJournal.For($"Data Source={Path.Combine(_dir.FullName, "a.db")}")!;
        journal.Reset();
        var at = new DateTime(2026, 12, 6, 10, 0, 0, DateTimeKind.Utc).AddTicks(1234567);
        var (a, b, c) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        journal.Append(a, 1, Answer(at, 200));
        journal.Append(b, 3, Answer(at, 429, retryAfter: TimeSpan.FromSeconds(7)));
        journal.Append(c, 2, Answer(at, null, AttemptErrorKind.Timeout));
        journal.Dispose();
        // A write cut short by the kill, then bytes that are not an entry at all.
        using (var file = new FileStream(journal.Paths[0], FileMode.Append))
        {
            file.Write(new byte[OutcomeJournal.RecordSize / 2]);
        }
        var torn = File.ReadAllBytes(journal.Paths[0]);
        File.WriteAllBytes(journal.Paths[0], [.. torn[..(2 * OutcomeJournal.RecordSize)], .. new byte[OutcomeJournal.RecordSize], .. torn[(2 * OutcomeJournal.RecordSize)..]]);

        var entries = journal.ReadAll();
        Assert.Equal(
            [
                new JournaledOutcome(a, 1, at, 12, 200, null, null),
                new JournaledOutcome(b, 3, at, 12, 429, AttemptErrorKind.Http, TimeSpan.FromSeconds(7)),
                new JournaledOutcome(c, 2, at, 12, null, AttemptErrorKind.Timeout, null),
            ], entries);
    }

    [Fact]
    public void Under_a_long_burst_the_journal_stays_near_two_segments_and_empties_what_was_committed()
    {
        var journal = OutcomeJournal.For($"Data Source={Path.Combine(_dir.FullName, "b.db")}")!;
        journal.Reset();
        var at = DateTime.UtcNow;
        // 100,000 outcomes, each committed a few hundred outcomes later, as the group commit does under load.
        var pending = new Queue<int>();
        for (var i = 0; i < 100_000; i++)
        {
            pending.Enqueue(journal.Append(Guid.CreateVersion7(), 1, Answer(at, 200)));
            if (pending.Count > 300) journal.Settled(pending.Dequeue());
        }
        var size = journal.Paths.Sum(p => new FileInfo(p).Length);
        Assert.InRange(size, 1, 2 * (1 << 20) + 300 * OutcomeJournal.RecordSize);
        Assert.True(journal.ReadAll().Count < 100_000 / 2, "committed entries are emptied, not kept");
        while (pending.Count > 0) journal.Settled(pending.Dequeue());
        journal.Dispose();
    }

    /// <summary>
    /// The state a kill leaves: three jobs leased and sent, two of them answered (in the journal) and not yet
    /// recorded, one still in flight. Before the journal, all three were sent again at the next start.
    /// </summary>
    [Fact]
    public async Task After_a_kill_the_answered_attempts_are_recorded_from_the_journal_and_only_the_one_in_flight_is_sent_again()
    {
        // Told apart by body: each job's names it (the webhook signs nothing, so there is no webhook-id header).
        var url = _receiver.Status("/journal", 200);
        int Arrivals(string name) => _receiver.To("/journal").Count(r => r.Body == $$"""{"job":"{{name}}"}""");
        Guid answered, busy, inFlight;
        var sentAt = DateTime.UtcNow.AddSeconds(-1);
        await using (var first = new RestartableDeliveryFactory(_dir.FullName))
        {
            var webhook = await first.CreateWebhookAsync(url);
            WebhookJob Leased(string name) => new()
            {
                Id = Guid.CreateVersion7(), WebhookId = webhook.Id, WebhookName = webhook.Name, EventType = "Submission", EventAction = "Submitted",
                Url = url, RequestBody = $$"""{"job":"{{name}}"}""", Status = JobStatus.Pending, NextAttemptAt = sentAt,
                LeaseUntil = DateTime.UtcNow.AddMinutes(5), CreatedAt = sentAt, UpdatedAt = sentAt,
            };
            await using var scope = first.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var jobs = new[] { Leased("answered"), Leased("busy"), Leased("in flight") };
            db.WebhookJobs.AddRange(jobs);
            await db.SaveChangesAsync();
            (answered, busy, inFlight) = (jobs[0].Id, jobs[1].Id, jobs[2].Id);
        }

        // What the killed process had written: the answers it heard, nothing for the send still in flight.
        var journal = OutcomeJournal.For($"Data Source={Path.Combine(_dir.FullName, "console.db")}")!;
        journal.Reset();
        journal.Append(answered, 1, Answer(sentAt, 200));
        journal.Append(busy, 1, Answer(sentAt, 503, retryAfter: TimeSpan.FromSeconds(2)));
        journal.Dispose();

        await using var second = new RestartableDeliveryFactory(_dir.FullName);
        _ = second.Server;
        var done = await second.WaitForJobAsync(answered, j => j.Status == JobStatus.Succeeded, "the answered job to be recorded from the journal");
        Assert.Equal(1, done.AttemptCount);
        var retried = await second.WaitForJobAsync(busy, j => j.Status == JobStatus.Succeeded, "the 503's retry to be delivered");
        Assert.Equal(2, retried.AttemptCount);
        var resent = await second.WaitForJobAsync(inFlight, j => j.Status == JobStatus.Succeeded, "the job in flight to be sent again");
        Assert.Equal(2, resent.AttemptCount);

        await using var scope2 = second.Services.CreateAsyncScope();
        var attempts = await scope2.ServiceProvider.GetRequiredService<AppDbContext>().JobAttempts.AsNoTracking()
            .Where(a => a.JobId == answered || a.JobId == busy || a.JobId == inFlight).ToListAsync();
        var fromJournal = attempts.Single(a => a.JobId == answered);
        Assert.Equal((1, 200, JournalRecovery.Note, sentAt), (fromJournal.Number, fromJournal.StatusCode!.Value, fromJournal.Error!, fromJournal.StartedAt));
        Assert.Equal([503, 200], attempts.Where(a => a.JobId == busy).OrderBy(a => a.Number).Select(a => a.StatusCode ?? 0));
        Assert.Equal([AttemptErrorKind.Interrupted, null], attempts.Where(a => a.JobId == inFlight).OrderBy(a => a.Number).Select(a => a.ErrorKind));
        // The receiver: nothing again for the answered job, the retry once, the job in flight once more.
        Assert.Equal((0, 1, 1), (Arrivals("answered"), Arrivals("busy"), Arrivals("in flight")));
        // The previous run's entries are gone once recorded.
        Assert.DoesNotContain(journal.ReadAll(), e => e.JobId == answered);
    }
}
