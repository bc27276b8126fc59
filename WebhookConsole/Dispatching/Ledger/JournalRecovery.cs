using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Dispatching.Ledger;

/// <summary>
/// At the lane's start on SQLite: the attempts the previous process heard back about but did not commit are
/// recorded from its <see cref="OutcomeJournal"/>, through the ordinary recording (the outcome decides success,
/// retry or failure as it would have), before the previous run's leases are ended; then the journal starts empty.
/// </summary>
public sealed class JournalRecovery(IDbContextFactory<AppDbContext> dbFactory, DeliveryStore store, DatabaseSettings database, ILogger<JournalRecovery> logger)
{
    /// <summary>What an attempt recorded from the journal says in place of what was not kept.</summary>
    public const string Note = "Recorded at start-up from the outcome journal: the console stopped before writing this attempt, so its response headers and body were not kept.";

    /// <summary>Ids per read: under SQLite's parameter limit.</summary>
    private const int Chunk = 500;

    /// <summary>Records what the journal holds and returns it, emptied and open for this run; null where there is none (PostgreSQL, an in-memory database).</summary>
    public async Task<OutcomeJournal?> OpenAsync(CancellationToken ct)
    {
        if (!database.IsSqlite) return null;
        string? connectionString;
        await using (var db = await dbFactory.CreateDbContextAsync(ct)) connectionString = db.Database.GetConnectionString();
        var journal = OutcomeJournal.For(connectionString);
        if (journal is null) return null;
        try
        {
            var recorded = await RecordAsync(journal.ReadAll(), ct);
            if (recorded > 0) logger.LogWarning("{Count} attempts that ended just before the console stopped were recorded from the outcome journal; they are not sent again.", recorded);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Nothing is lost: their leases end next, and the jobs are sent again as if there were no journal.
            logger.LogError(ex, "Recording the outcome journal failed; the deliveries it held are sent again.");
        }
        journal.Reset();
        journal.Failed = ex => logger.LogError(ex, "Writing the outcome journal failed; it is off until the next start, and a kill until then sends again what was answered and not yet recorded.");
        return journal;
    }

    /// <summary>
    /// Of the entries, those whose job is still Pending and leased, with this attempt the next it records; returns
    /// how many were recorded. The rest were committed before the stop, or the job has moved on.
    /// </summary>
    public async Task<int> RecordAsync(IReadOnlyList<JournaledOutcome> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return 0;
        var latest = entries.GroupBy(e => e.JobId).ToDictionary(g => g.Key, g => g.MaxBy(e => e.Number));
        var sent = new List<(LeasedJob, SendResult)>();
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            foreach (var ids in latest.Keys.Chunk(Chunk))
            {
                var jobs = await db.WebhookJobs.AsNoTracking().Where(j => ids.Contains(j.Id) && j.Status == JobStatus.Pending && j.LeaseUntil != null).ToListAsync(ct);
                var webhookIds = jobs.Select(j => j.WebhookId).Distinct().ToList();
                var webhooks = await db.Webhooks.AsNoTracking().Where(w => webhookIds.Contains(w.Id)).ToDictionaryAsync(w => w.Id, ct);
                foreach (var job in jobs)
                {
                    var entry = latest[job.Id];
                    if (entry.Number != job.AttemptCount + 1 || !webhooks.TryGetValue(job.WebhookId, out var webhook)) continue;
                    sent.Add((new LeasedJob(job, webhook), Result(job, entry)));
                }
            }
        }
        if (sent.Count == 0) return 0;
        await store.RecordAsync(sent);
        return sent.Count;
    }

    /// <summary>The send as far as the journal knows it: the request as the job holds it, the status or the kind of error.</summary>
    private static SendResult Result(WebhookJob job, JournaledOutcome e) => new(
        e.StartedAt, e.DurationMs, job.Url, job.RequestHeaders, job.RequestBody, e.StatusCode, [], null, 0, e.ErrorKind,
        e.ErrorKind is null or AttemptErrorKind.Http ? Note : $"{e.ErrorKind}. {Note}", e.RetryAfter);
}
