using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Postgres;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Telemetry;

namespace WebhookConsole.Dispatching.Ledger;

/// <summary>A job this worker holds the lease on, with its webhook as it was when leased.</summary>
public sealed record LeasedJob(WebhookJob Job, Webhook Webhook);

/// <summary>A Pending job that may be leased soon: when it is due, and the lease it still has.</summary>
public sealed record DueJob(Guid Id, DateTime? NextAttemptAt, DateTime? LeaseUntil);

/// <summary>One sent attempt as written: the attempt row, and when the job is due again if it waits for a retry.</summary>
public sealed record RecordedAttempt(Guid JobId, JobAttempt Attempt, DateTime? NextAttemptAt);

/// <summary>
/// The delivery ledger's reads and writes, many jobs per transaction: one leases the due jobs the lane takes up
/// together, one records the attempts that ended within a commit interval (attempt rows, job states, webhook
/// health). Writing per group instead of per attempt is what lets a burst of deliveries run at the network's pace.
/// </summary>
public sealed class DeliveryStore(
    IDbContextFactory<AppDbContext> dbFactory, WriteGate gate, WebhookHealth health, IOptions<DispatchOptions> options,
    DatabaseSettings database, TimeProvider time, ILogger<DeliveryStore> logger)
{
    /// <summary>Time beyond the webhook's timeout for recording the attempt, so a live lease is never stolen.</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(10);

    public const string InterruptedError = "Outcome unknown: the console stopped during this attempt; the receiver may have received it.";

    /// <summary>
    /// When a lease taken now on a job of this webhook ends: the attempt (the webhook's timeout) plus a margin, and
    /// no more, so after a crash the lane re-sends the job as soon as it can.
    /// </summary>
    public static DateTime LeaseEnd(DateTime now, Webhook webhook) => now + LeaseLength(webhook);

    /// <summary>
    /// Pending jobs that may be leased by <paramref name="until"/>, the earliest first; a disabled webhook's jobs are
    /// held, a deleted webhook's jobs are picked up to be abandoned. <c>Status</c> is compared with a constant so
    /// that SQLite reads the partial index of Pending jobs.
    /// </summary>
    public static IQueryable<DueJob> DueJobs(AppDbContext db, DateTime until) => db.WebhookJobs.AsNoTracking()
        .Where(j => j.Status == JobStatus.Pending && j.NextAttemptAt <= until && (j.LeaseUntil == null || j.LeaseUntil < until))
        .Where(j => j.IsTest || !db.Webhooks.Any(w => w.Id == j.WebhookId && !w.Enabled))
        .OrderBy(j => j.NextAttemptAt).ThenBy(j => j.Id)
        .Select(j => new DueJob(j.Id, j.NextAttemptAt, j.LeaseUntil));

    private static TimeSpan LeaseLength(Webhook webhook) => TimeSpan.FromSeconds(webhook.TimeoutSeconds) + LeaseMargin;

    /// <summary>
    /// Leases the jobs that are Pending, due and free (until <see cref="LeaseEnd"/>); abandons those whose webhook
    /// was deleted; leaves a disabled webhook's jobs Pending (held). <paramref name="ownLeases"/> are leases this
    /// process holds already (jobs written leased to it) and renews. A job whose earlier lease lapsed without a
    /// recorded attempt gets an attempt of unknown outcome first: it may have reached the receiver.
    /// </summary>
    public async Task<List<LeasedJob>> LeaseAsync(IReadOnlyCollection<Guid> ids, IReadOnlyDictionary<Guid, DateTime>? ownLeases = null, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var own = ownLeases?.Keys.ToList() ?? [];
        using var _ = await gate.EnterAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Several instances share a PostgreSQL database: lock the rows, skipping those another instance is leasing.
        // On SQLite this process is the only writer and the write gate orders it.
        var jobs = database.IsSqlite
            ? await db.WebhookJobs.AsNoTracking()
                .Where(j => ids.Contains(j.Id) && j.Status == JobStatus.Pending && j.NextAttemptAt <= now && (j.LeaseUntil == null || j.LeaseUntil < now || own.Contains(j.Id)))
                .ToListAsync(ct)
            : await PostgresQueries.LockPendingJobsAsync(db, ids, ct);
        jobs.RemoveAll(j => j.NextAttemptAt is not { } due || due > now
            || (j.LeaseUntil >= now && (ownLeases is null || !ownLeases.TryGetValue(j.Id, out var held) || held != j.LeaseUntil)));
        if (jobs.Count == 0) return [];
        var webhookIds = jobs.Select(j => j.WebhookId).Distinct().ToList();
        var webhooks = await db.Webhooks.AsNoTracking().Where(w => webhookIds.Contains(w.Id)).ToDictionaryAsync(w => w.Id, ct);

        var leased = new List<LeasedJob>(jobs.Count);
        var orphans = new List<Guid>();
        var interrupted = new List<JobAttempt>();
        foreach (var job in jobs)
        {
            if (!webhooks.TryGetValue(job.WebhookId, out var webhook))
            {
                orphans.Add(job.Id);
                continue;
            }
            if (!webhook.Enabled && !job.IsTest) continue; // held, Pending, until enabled
            if (job.LeaseUntil is { } lapsed && !(ownLeases is not null && ownLeases.TryGetValue(job.Id, out var mine) && mine == lapsed))
            {
                interrupted.Add(Interrupted(job, lapsed - LeaseLength(webhook)));
            }
            JobLifecycle.Lease(job, LeaseEnd(now, webhook), now);
            leased.Add(new LeasedJob(job, webhook));
        }
        await db.InsertAsync(interrupted, ct);
        await db.UpdateAsync(leased.Select(l => l.Job).ToList(), LeaseColumns, ct: ct);
        if (orphans.Count > 0)
        {
            await db.WebhookJobs.Where(j => orphans.Contains(j.Id)).ExecuteUpdateAsync(s => JobLifecycle.Abandon(s, "Abandoned: the webhook was deleted", now), ct);
        }
        await tx.CommitAsync(ct);
        if (interrupted.Count > 0) logger.LogWarning("{Count} jobs were taken up again after a lease lapsed without a recorded attempt; each is marked as of unknown outcome and sent again.", interrupted.Count);
        return leased;
    }

    /// <summary>Gives back the leases of jobs this process took but will send later (a webhook's limit); they are not attempts.</summary>
    public async Task ReleaseLeasesAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        if (ids.Count == 0) return;
        var now = time.GetUtcNow().UtcDateTime;
        using var _ = await gate.EnterAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.WebhookJobs.Where(j => ids.Contains(j.Id) && j.LeaseUntil != null).ExecuteUpdateAsync(s => JobLifecycle.ReleaseLease(s, now), ct);
    }

    private static readonly string[] LeaseColumns =
        [nameof(WebhookJob.LeaseUntil), nameof(WebhookJob.AttemptCount), nameof(WebhookJob.Summary), nameof(WebhookJob.UpdatedAt)];

    /// <summary>The attempt a lapsed lease stands for: it was leased, perhaps sent, and never recorded.</summary>
    private static JobAttempt Interrupted(WebhookJob job, DateTime leasedAt)
    {
        JobLifecycle.Interrupted(job);
        return new JobAttempt
        {
            JobId = job.Id,
            Number = job.AttemptCount,
            Trigger = TriggerOf(job),
            TriggeredBy = job.PendingTriggeredBy,
            StartedAt = leasedAt,
            Url = job.Url,
            RequestHeaders = job.RequestHeaders,
            RequestBody = job.StoredBody(job.RequestBody),
            ErrorKind = AttemptErrorKind.Interrupted,
            Error = InterruptedError,
        };
    }

    /// <summary>
    /// At start-up on the embedded database, every lease is of a process that is gone (SQLite has one console
    /// process per file): end them now so their jobs resume at once instead of when the leases would have run out.
    /// On PostgreSQL the other instances' leases are alive: they are left to run out.
    /// </summary>
    public async Task<int> EndLeasesOfStoppedProcessAsync(CancellationToken ct)
    {
        if (!database.IsSqlite) return 0;
        var now = time.GetUtcNow().UtcDateTime;
        using var _ = await gate.EnterAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WebhookJobs.Where(j => j.Status == JobStatus.Pending && j.LeaseUntil > now)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntil, now), ct);
    }

    /// <summary>
    /// Records attempts in one transaction — even during shutdown, since they were sent — and disables webhooks
    /// that answered 410 or reached the failure threshold. A job that left Pending while it was being sent (an
    /// abandon) keeps its status; the attempt and its counts are still recorded. The caller times the retries.
    /// </summary>
    public async Task<List<RecordedAttempt>> RecordAsync(IReadOnlyList<(LeasedJob Leased, SendResult Result)> sent)
    {
        var opts = options.Value;
        var tally = new HealthTally();
        var minutes = new MinuteTally();
        // Everything but the writes happens before the gate: other writers wait only for the database work.
        var attempts = new List<JobAttempt>(sent.Count);
        var jobs = new List<WebhookJob>(sent.Count);
        foreach (var ((job, webhook), result) in sent)
        {
            var number = job.AttemptCount + 1;
            var outcome = DeliveryOutcome.Decide(result, webhook.AsyncAck, number, opts.EffectiveRetryDelays, opts.RetryJitter, opts.MaxRetryAfterSeconds, job.IsTest);
            var attempt = Attempt(job, number, result, database.InstanceName);
            JobLifecycle.RecordAttempt(job, number, outcome, result, time.GetUtcNow().UtcDateTime);
            attempts.Add(attempt);
            jobs.Add(job);
            tally.Count(webhook.Id, attempt, outcome, result.Summary);
            minutes.Count(job, result.StartedAt);
        }

        HashSet<Guid> ended;
        using (await gate.EnterAsync())
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            ended = await WriteAttemptsAsync(db, attempts, jobs);
            await tally.WriteAsync(db, opts.DisableAfterConsecutiveFailures);
            await minutes.WriteAsync(db);
            await tx.CommitAsync();
        }
        await tally.DisableAsync(health);
        Measure(jobs, attempts, sent);
        if (logger.IsEnabled(LogLevel.Debug)) logger.LogDebug("Recorded {Count} attempts", attempts.Count);
        // A job that had already left Pending (abandoned while in flight) is due for nothing.
        return attempts.Select((a, i) => new RecordedAttempt(a.JobId, a, ended.Contains(a.JobId) ? null : jobs[i].NextAttemptAt)).ToList();
    }

    /// <summary>The recorded attempts in the console's metrics (<see cref="ConsoleTelemetry"/>).</summary>
    private static void Measure(List<WebhookJob> jobs, List<JobAttempt> attempts, IReadOnlyList<(LeasedJob Leased, SendResult Result)> sent)
    {
        if (!ConsoleTelemetry.Deliveries.Enabled && !ConsoleTelemetry.AttemptDuration.Enabled && !ConsoleTelemetry.DeliveryLatency.Enabled) return;
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            var outcome = job.Status == JobStatus.Pending ? "retry" : ConsoleTelemetry.Label(job.Status);
            var kind = attempts[i].ErrorKind is { } k ? ConsoleTelemetry.Label(k) : "none";
            ConsoleTelemetry.Deliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("error_kind", kind));
            ConsoleTelemetry.AttemptDuration.Record(attempts[i].DurationMs / 1000.0, new KeyValuePair<string, object?>("outcome", outcome));
            if (job.Status is JobStatus.Succeeded or JobStatus.Received && !job.IsTest)
            {
                var done = sent[i].Result.StartedAt.AddMilliseconds(sent[i].Result.DurationMs);
                ConsoleTelemetry.DeliveryLatency.Record(Math.Max(0, (done - job.CreatedAt).TotalSeconds));
            }
        }
    }

    /// <summary>The attempt row for one send: what went out (as the job stores it) and what came back.</summary>
    private static JobAttempt Attempt(WebhookJob job, int number, SendResult result, string? instance) => new()
    {
        JobId = job.Id,
        Number = number,
        Trigger = TriggerOf(job),
        TriggeredBy = job.PendingTriggeredBy,
        Instance = instance,
        StartedAt = result.StartedAt,
        DurationMs = result.DurationMs,
        Url = job.StoredUrl(result.Url),
        RequestHeaders = result.RequestHeaders,
        RequestBody = job.StoredBody(result.RequestBody),
        StatusCode = result.StatusCode,
        ResponseHeaders = result.ResponseHeaders,
        ResponseBody = result.ResponseBody,
        ResponseBodyLength = result.ResponseBodyLength,
        ErrorKind = result.ErrorKind,
        Error = result.Error,
    };

    private static AttemptTrigger TriggerOf(WebhookJob job) => job.IsTest ? AttemptTrigger.Test : job.PendingTrigger ?? AttemptTrigger.Schedule;

    /// <summary>
    /// Inserts the attempts and updates their jobs while they are Pending; a job that left Pending in the meantime
    /// gets only its counts. Returns the ids of those that had left.
    /// </summary>
    /// <summary>
    /// The job is still Pending, checked on the row its primary key found. Written so that no index can serve it: as
    /// <c>"Status" = 'Pending'</c>, PostgreSQL with statistics taken while no job was unfinished read the partial
    /// status index by (Status, CreatedAt, Id) instead of the key, walking every Pending job for each row recorded
    /// (1.3 ms a row in a burst; docs/performance.md).
    /// </summary>
    internal const string StillPending = "(\"Status\" || '') = 'Pending'";

    private static async Task<HashSet<Guid>> WriteAttemptsAsync(AppDbContext db, List<JobAttempt> attempts, List<WebhookJob> jobs)
    {
        await db.InsertAsync(attempts);
        var ended = await db.UpdateAsync(jobs, JobColumns, StillPending);
        if (ended.Count > 0) await db.UpdateAsync(ended, CountColumns);
        return ended.Select(j => j.Id).ToHashSet();
    }

    private static readonly string[] JobColumns =
    [
        nameof(WebhookJob.AttemptCount), nameof(WebhookJob.LastStatusCode), nameof(WebhookJob.LastErrorKind), nameof(WebhookJob.Summary),
        nameof(WebhookJob.PendingTrigger), nameof(WebhookJob.PendingTriggeredBy), nameof(WebhookJob.LeaseUntil), nameof(WebhookJob.UpdatedAt),
        nameof(WebhookJob.Status), nameof(WebhookJob.NextAttemptAt), nameof(WebhookJob.CompletedAt),
    ];

    /// <summary>What an attempt changes on a job that is no longer Pending.</summary>
    private static readonly string[] CountColumns =
    [
        nameof(WebhookJob.AttemptCount), nameof(WebhookJob.LastStatusCode), nameof(WebhookJob.LastErrorKind), nameof(WebhookJob.LeaseUntil), nameof(WebhookJob.UpdatedAt),
    ];
}
