using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using static WebhookConsole.Data.Search.SearchIndexSql;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data.Search;

/// <summary>
/// Fills the text-search index (<see cref="JobSearch"/>) in the background, in slices: the next jobs and attempts
/// past its marks, and the deletes and edits the database logged (<c>SearchIndexChanges</c>). It reads the
/// database in short read transactions and writes only the index's own file, so it never holds the database's
/// write lock while it tokenizes; only clearing the handled log entries goes through the write gate (from a
/// pool thread at normal priority).
/// Deliveries and ingestion come first. While the console is writing (a write through the gate within the last
/// <see cref="Busy"/>), the indexer runs one slice a second (<see cref="MaxDeferral"/>) and no more, and it
/// catches up at full pace once the burst is over. Nice 19 alone did not do that: the hot path's threads wait on
/// I/O and on the gate often enough that a nice-19 thread still took a visible share of the console's CPU during a
/// burst (docs/performance.md). It also runs on its own thread at the lowest CPU priority (Linux nice 19). The rows it has not reached
/// are still found, by a scan of that tail. When it has caught up it looks again every second.
/// </summary>
public sealed class JobSearchIndexer(IDbContextFactory<AppDbContext> dbFactory, WriteGate gate, ILogger<JobSearchIndexer> logger) : BackgroundService
{
    public const int JobsPerSlice = 256;
    public const int AttemptsPerSlice = 512;
    public const int ChangesPerSlice = 512;

    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    /// <summary>The console counts as busy for this long after its last write (event or delivery), and the indexer waits.</summary>
    public static readonly TimeSpan Busy = TimeSpan.FromMilliseconds(100);

    /// <summary>However busy the console, a slice runs at least this often, so the index keeps moving under sustained load.</summary>
    public static readonly TimeSpan MaxDeferral = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AfterError = TimeSpan.FromSeconds(30);
    private readonly Lock _slice = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { Run(stoppingToken); }
            finally { done.TrySetResult(); }
        })
        { IsBackground = true, Name = "Search indexer" };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken stoppingToken)
    {
        LowerPriority();
        var lastSlice = Stopwatch.StartNew();
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan pause;
            if (gate.IdleFor < Busy && lastSlice.Elapsed < MaxDeferral)
            {
                // The console is writing events or deliveries: leave it the cores, and look again shortly.
                if (stoppingToken.WaitHandle.WaitOne(Busy)) return;
                continue;
            }
            try
            {
                pause = IndexSlice(stoppingToken).More ? TimeSpan.Zero : Idle;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Indexing jobs for text search failed; search still finds them by scanning. Trying again in {Seconds} s.", AfterError.TotalSeconds);
                pause = AfterError;
            }
            catch (Exception)
            {
                return;
            }
            lastSlice.Restart();
            if (pause > TimeSpan.Zero && stoppingToken.WaitHandle.WaitOne(pause)) return;
        }
    }

    /// <summary>Indexes everything not yet indexed, at the caller's priority (tests, the benchmark). Returns the rows passed.</summary>
    public Task<long> CatchUpAsync(CancellationToken ct = default) => Task.Run(() =>
    {
        long total = 0;
        bool more;
        do
        {
            (more, var rows) = IndexSlice(ct);
            total += rows;
        } while (more);
        return total;
    }, ct);

    /// <summary>What the index has not reached yet: jobs and attempts past the marks, and logged changes.</summary>
    public async Task<(long Jobs, long Attempts, long Changes)> BacklogAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (jobMark, attemptMark) = (0L, 0L);
        if (IndexPath(db) is { } path && File.Exists(path))
        {
            using var index = OpenIndex(path);
            (jobMark, attemptMark) = ReadMarks(index);
        }
        return (await db.WebhookJobs.FromSqlRaw("""SELECT * FROM "WebhookJobs" WHERE rowid > {0}""", jobMark).LongCountAsync(ct),
            await db.JobAttempts.LongCountAsync(a => a.Id > attemptMark, ct),
            await db.Database.SqlQueryRaw<long>("""SELECT count(*) AS "Value" FROM "SearchIndexChanges" """).SingleAsync(ct));
    }

    /// <summary>One slice: whether there is more to do at once, and how many rows it passed.</summary>
    private (bool More, int Rows) IndexSlice(CancellationToken ct)
    {
        lock (_slice)
        {
            using var db = dbFactory.CreateDbContext();
            if (IndexPath(db) is not { } path) return (false, 0);
            using var index = OpenOrRebuild(path);
            db.Database.OpenConnection();
            var main = (SqliteConnection)db.Database.GetDbConnection();

            var changes = ApplyChanges(main, index, ct);
            var (jobMark, attemptMark) = ReadMarks(index);

            // Read the next rows in one short read transaction, then index them with the database left alone.
            List<(long Row, string? Text)> jobs, attempts;
            using (var read = main.BeginTransaction(deferred: true))
            {
                jobs = Read(main, read, $"""SELECT rowid, "Url" || ' ' || {PayloadText.SqlFunction}("RequestBody") FROM "WebhookJobs" WHERE rowid > $mark ORDER BY rowid LIMIT $limit""", jobMark, JobsPerSlice);
                attempts = Read(main, read, """
                    SELECT "Id", CASE WHEN "ResponseBodyLength" > 0 THEN "ResponseBody" END FROM "JobAttempts" WHERE "Id" > $mark ORDER BY "Id" LIMIT $limit
                    """, attemptMark, AttemptsPerSlice);
            }
            ct.ThrowIfCancellationRequested();
            using (var write = index.BeginTransaction())
            {
                Insert(index, write, "WebhookJobSearch", jobs);
                Insert(index, write, "JobAttemptSearch", attempts);
                if (jobs.Count > 0) SetMark(index, write, JobSearch.JobKind, jobs[^1].Row);
                if (attempts.Count > 0) SetMark(index, write, JobSearch.AttemptKind, attempts[^1].Row);
                write.Commit();
            }
            return (jobs.Count == JobsPerSlice || attempts.Count == AttemptsPerSlice || changes == ChangesPerSlice,
                jobs.Count + attempts.Count + changes);
        }
    }

    /// <summary>
    /// Deleted and edited rows (logged by triggers): each leaves the index and, if it still exists and the mark
    /// has passed it, goes back in with its text as it is now. When the newest jobs were deleted the mark comes
    /// down to the newest job left, so that a job which reuses their rowid is indexed in its turn.
    /// </summary>
    private int ApplyChanges(SqliteConnection main, SqliteConnection index, CancellationToken ct)
    {
        List<(long Seq, int Kind, long Row)> changes = [];
        List<(long Row, string? Text)> jobs = [], attempts = [];
        long newestJob;
        using (var read = main.BeginTransaction(deferred: true))
        {
            using var command = main.CreateCommand();
            command.Transaction = read;
            command.CommandText = """SELECT "Seq", "Kind", "Row" FROM "SearchIndexChanges" ORDER BY "Seq" LIMIT $limit""";
            command.Parameters.AddWithValue("$limit", ChangesPerSlice);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read()) changes.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2)));
            }
            if (changes.Count == 0) return 0;
            command.Parameters.Clear();
            command.CommandText = """SELECT coalesce(max(rowid), 0) FROM "WebhookJobs" """;
            newestJob = (long)command.ExecuteScalar()!;
            jobs = ReadRows(main, read, $"""SELECT rowid, "Url" || ' ' || {PayloadText.SqlFunction}("RequestBody") FROM "WebhookJobs" WHERE rowid = $row""",
                changes.Where(c => c.Kind == JobSearch.JobKind).Select(c => c.Row));
            attempts = ReadRows(main, read, """SELECT "Id", "ResponseBody" FROM "JobAttempts" WHERE "Id" = $row AND "ResponseBodyLength" > 0""",
                changes.Where(c => c.Kind == JobSearch.AttemptKind).Select(c => c.Row));
        }
        ct.ThrowIfCancellationRequested();

        using (var write = index.BeginTransaction())
        {
            var (jobMark, attemptMark) = ReadMarks(index, write);
            Delete(index, write, "WebhookJobSearch", changes.Where(c => c.Kind == JobSearch.JobKind).Select(c => c.Row));
            Delete(index, write, "JobAttemptSearch", changes.Where(c => c.Kind == JobSearch.AttemptKind).Select(c => c.Row));
            Insert(index, write, "WebhookJobSearch", jobs.Where(j => j.Row <= jobMark).ToList());
            Insert(index, write, "JobAttemptSearch", attempts.Where(a => a.Row <= attemptMark).ToList());
            if (jobMark > newestJob) SetMark(index, write, JobSearch.JobKind, newestJob);
            write.Commit();
        }

        // Only now the log entries go: if the process stops in between, they are applied again (it is idempotent).
        // This is the one write to the database, through the gate; it runs on a pool thread at normal priority,
        // so that a nice-19 thread is never descheduled while it holds the gate the deliveries wait on.
        var seq = changes[^1].Seq;
        Task.Run(async () =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            using (await gate.EnterBackgroundAsync(ct))
            {
                await db.Database.ExecuteSqlRawAsync("""DELETE FROM "SearchIndexChanges" WHERE "Seq" <= {0}""", [seq], ct);
            }
        }, ct).GetAwaiter().GetResult();
        return changes.Count;
    }

    private static string? IndexPath(AppDbContext db) => JobSearch.IndexPath(db.Database.GetConnectionString()!);

    /// <summary>The index is derived data: a file that is not a database or is corrupt is deleted and built again.</summary>
    private SqliteConnection OpenOrRebuild(string path)
    {
        try
        {
            return OpenIndex(path);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 11 or 26) // SQLITE_CORRUPT, SQLITE_NOTADB
        {
            logger.LogWarning("The search index {Path} is unreadable ({Reason}); building it again.", path, ex.Message);
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(path + suffix);
            return OpenIndex(path);
        }
    }

    /// <summary>Linux: nice 19 for this thread only (lowering one's own priority needs no privilege).</summary>
    private void LowerPriority()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            if (setpriority(0, gettid(), 19) != 0) logger.LogDebug("The search indexer runs at normal priority (setpriority failed).");
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            logger.LogDebug("The search indexer runs at normal priority ({Reason}).", ex.Message);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);

    [DllImport("libc")]
    private static extern int gettid();

}
