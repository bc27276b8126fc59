using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace WebhookConsole.Data.Sqlite;

/// <summary>
/// Copies the write-ahead log back into the database file a few times a second, on its own thread. SQLite
/// otherwise checkpoints inside the commit that fills the log past 1,000 pages, and on the hot paths that
/// commit holds the write gate: every event and delivery waited while the checkpoint wrote and synced the file.
/// The checkpoint here is PASSIVE (it never waits for readers or writers), so it runs beside them; connections
/// still checkpoint by themselves past <see cref="SafetyNetPages"/>, should this thread stall.
/// </summary>
public sealed class WalCheckpointer(IDbContextFactory<AppDbContext> dbFactory, ILogger<WalCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>16 MB of log: where a connection checkpoints by itself, as SQLite does at 1,000 pages by default.</summary>
    public const int SafetyNetPages = 4_000;

    private static readonly TimeSpan AfterError = TimeSpan.FromSeconds(30);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Factory.StartNew(() =>
    {
        while (!stoppingToken.WaitHandle.WaitOne(Interval))
        {
            try
            {
                if (Checkpoint() is null) return; // not in WAL mode (an in-memory database): nothing to checkpoint
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Checkpointing the database log failed; connections checkpoint by themselves meanwhile. Trying again in {Seconds} s.", AfterError.TotalSeconds);
                if (stoppingToken.WaitHandle.WaitOne(AfterError)) return;
            }
        }
    }, stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>One passive checkpoint: the log's frames and how many are now in the database file; null when the database has no log.</summary>
    /// <remarks>
    /// A checkpoint another connection is running at that moment makes this one answer busy, with -1 for both
    /// counts, which is not "no log": it is tried again a few times (a passive checkpoint takes milliseconds).
    /// </remarks>
    public (long LogFrames, long Checkpointed)? Checkpoint()
    {
        using var db = dbFactory.CreateDbContext();
        db.Database.OpenConnection();
        using var command = ((SqliteConnection)db.Database.GetDbConnection()).CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        for (var attempt = 1; ; attempt++)
        {
            using var reader = command.ExecuteReader();
            reader.Read();
            var (busy, log, checkpointed) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            if (log >= 0) return (log, checkpointed);
            if (busy == 0 || attempt == 20) return null;
            Thread.Sleep(5);
        }
    }
}
