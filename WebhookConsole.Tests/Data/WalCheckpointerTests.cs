using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>The log is copied back by the checkpointer, not by the commits on the hot paths.</summary>
public sealed class WalCheckpointerTests : IDisposable
{
    private readonly ConsoleFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Connections_leave_checkpoints_to_the_checkpointer_which_copies_the_whole_log_back()
    {
        _ = _factory.Server;
        var contexts = _factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using (var command = db.Database.GetDbConnection().CreateCommand())
        {
            command.CommandText = "PRAGMA wal_autocheckpoint";
            Assert.Equal((long)WalCheckpointer.SafetyNetPages, (long)(await command.ExecuteScalarAsync())!);
        }

        await db.Database.ExecuteSqlRawAsync("CREATE TABLE \"Fill\" (\"Text\" TEXT)");
        var text = new string('x', 3_000);
        for (var i = 0; i < 300; i++) await db.Database.ExecuteSqlRawAsync("INSERT INTO \"Fill\" VALUES ({0})", text);

        var (frames, checkpointed) = _factory.Services.GetRequiredService<WalCheckpointer>().Checkpoint()!.Value;
        Assert.True(frames > 0, "The last commit's pages should be in the log.");
        Assert.Equal(frames, checkpointed);
    }
}
