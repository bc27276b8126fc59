using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data.Postgres;

/// <summary>
/// Builds the text-search words on PostgreSQL in the background (migration SearchDocuments): takes what the triggers
/// queued in <c>JobSearchQueue</c>, a slice at a time, cuts each job's and answered attempt's text into words
/// (<see cref="SearchWords"/>) and writes their <c>tsvector</c> into <c>JobSearchDocuments</c>.
/// Several instances share the queue (<c>FOR UPDATE SKIP LOCKED</c>), each taking its own rows.
/// Deliveries and ingestion come first, as with SQLite's indexer: while this instance is writing (a write through the gate within
/// <see cref="Busy"/>) one slice of <see cref="BusySliceSize"/> runs a second (<see cref="MaxDeferral"/>), and the
/// queue is caught up when the burst is over, at a quarter of a server core: the busy signal is this instance's, and
/// the other instances of a cluster may be delivering meanwhile. What the queue still holds is found by scanning it.
/// </summary>
public sealed class PostgresSearchIndexer(IDbContextFactory<AppDbContext> dbFactory, WriteGate gate, ILogger<PostgresSearchIndexer> logger) : BackgroundService
{
    /// <summary>Rows per slice when the console is idle.</summary>
    public const int SliceSize = 2_000;

    /// <summary>Rows per slice, one slice a second, while the console is busy: the index keeps moving under sustained load.</summary>
    public const int BusySliceSize = 256;

    public static readonly TimeSpan Busy = TimeSpan.FromMilliseconds(100);

    /// <summary>The rest after a full slice, in slices' lengths: the indexer takes at most a quarter of a server core.</summary>
    private const int RestPerSlice = 3;
    public static readonly TimeSpan MaxDeferral = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AfterError = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastSlice = Stopwatch.StartNew();
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan pause;
            if (gate.IdleFor < Busy && lastSlice.Elapsed < MaxDeferral)
            {
                // The console is writing events or deliveries: leave it the cores, and look again shortly.
                await Task.Delay(Busy, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
            try
            {
                var size = gate.IdleFor < Busy ? BusySliceSize : SliceSize;
                var took = Stopwatch.StartNew();
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                // Catching up, a slice is followed by a rest of three times its length: this instance may be idle
                // while the others deliver, and the server is theirs too.
                pause = await IndexSliceAsync(db, size, stoppingToken) == size ? took.Elapsed * RestPerSlice : Idle;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Indexing jobs for text search failed; search still finds them by scanning. Trying again in {Seconds} s.", AfterError.TotalSeconds);
                pause = AfterError;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lastSlice.Restart();
            if (pause > TimeSpan.Zero) await Task.Delay(pause, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Indexes up to <paramref name="limit"/> queued rows and returns how many it took off the queue, in one transaction:
    /// the rows are dequeued and their words written together, or, on any failure, not at all. A job or attempt deleted
    /// meanwhile is dropped from the queue without a document; a job queued twice (written, then edited) gets its
    /// latest text.
    /// </summary>
    public static async Task<int> IndexSliceAsync(AppDbContext db, int limit, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var taken = 0;
            var texts = new Dictionary<(Guid JobId, int Attempt), string>();
            await using (var read = new NpgsqlCommand("""
                WITH taken AS (
                  DELETE FROM "JobSearchQueue"
                  WHERE ctid = ANY (ARRAY(SELECT ctid FROM "JobSearchQueue" LIMIT @limit FOR UPDATE SKIP LOCKED))
                  RETURNING "JobId", "Attempt")
                SELECT t."JobId", t."Attempt", CASE WHEN t."Attempt" = 0 THEN j."Url" || ' ' || j."RequestBody" ELSE a."ResponseBody" END
                FROM taken AS t
                LEFT JOIN "WebhookJobs" AS j ON t."Attempt" = 0 AND j."Id" = t."JobId"
                LEFT JOIN "JobAttempts" AS a ON t."Attempt" > 0 AND a."JobId" = t."JobId" AND a."Number" = t."Attempt"
                """, connection, transaction))
            {
                read.Parameters.AddWithValue("limit", limit);
                await using var reader = await read.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    taken++;
                    if (!reader.IsDBNull(2)) texts[(reader.GetGuid(0), reader.GetInt32(1))] = reader.GetString(2);
                }
            }
            if (texts.Count > 0)
            {
                await using var write = new NpgsqlCommand("""
                    INSERT INTO "JobSearchDocuments" ("JobId", "Attempt", "Words")
                    SELECT d."JobId", d."Attempt", d."Words"::tsvector FROM unnest(@jobs, @attempts, @words) AS d("JobId", "Attempt", "Words")
                    WHERE EXISTS (SELECT 1 FROM "WebhookJobs" AS j WHERE j."Id" = d."JobId")
                    ON CONFLICT ("JobId", "Attempt") DO UPDATE SET "Words" = EXCLUDED."Words"
                    """, connection, transaction);
                write.Parameters.AddWithValue("jobs", texts.Keys.Select(k => k.JobId).ToArray());
                write.Parameters.AddWithValue("attempts", texts.Keys.Select(k => k.Attempt).ToArray());
                write.Parameters.AddWithValue("words", texts.Values.Select(SearchWords.Vector).ToArray());
                await write.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
            return taken;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
