using Hangfire;

namespace WebhookConsole.Dispatching;

/// <summary>
/// The Hangfire job: one delivery attempt of each WebhookJob of a batch. Re-entrant: it leases only jobs that
/// are Pending, due and free (a final, not-yet-due or leased job is skipped), sends the leased ones at once,
/// records every attempt in one transaction and schedules the retries.
/// </summary>
public sealed class DeliveryJob(DeliveryStore store, DeliverySender sender, InFlightJobs inFlight, FreshJobs fresh, TimeProvider time)
{
    /// <summary>A fresh job's lease must outlast the attempt by this much; otherwise it is leased anew from the database.</summary>
    private static readonly TimeSpan FreshLeaseReserve = TimeSpan.FromSeconds(5);

    // Our schedule governs retries; Hangfire's own retry would send extra attempts.
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public Task RunAsync(Guid jobId, CancellationToken cancellationToken) => RunBatchAsync([jobId], cancellationToken);

    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task RunBatchAsync(Guid[] jobIds, CancellationToken cancellationToken)
    {
        List<RecordedAttempt> recorded = [];
        try
        {
            recorded = await AttemptManyAsync(jobIds, cancellationToken);
        }
        finally
        {
            // A scheduled retry is still held by Hangfire: keep it out of the recovery sweep until it runs.
            var rescheduled = recorded.Where(r => r.Rescheduled).Select(r => r.JobId).ToHashSet();
            foreach (var id in jobIds) if (!rescheduled.Contains(id)) inFlight.Remove(id);
        }
    }

    /// <summary>Sends one attempt now if the job is Pending, due and free. Returns the attempt, or null when nothing was sent.</summary>
    public async Task<Data.Entities.JobAttempt?> AttemptAsync(Guid jobId, CancellationToken ct) =>
        (await AttemptManyAsync([jobId], ct)).FirstOrDefault()?.Attempt;

    private async Task<List<RecordedAttempt>> AttemptManyAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken ct)
    {
        // New jobs were written leased to this process and handed over as written; the rest are leased now.
        var now = time.GetUtcNow().UtcDateTime;
        var leased = new List<LeasedJob>(jobIds.Count);
        var toLease = new List<Guid>();
        foreach (var id in jobIds)
        {
            if (fresh.TryTake(id, out var job) && job.Job.LeaseUntil > now + FreshLeaseReserve) leased.Add(job);
            else toLease.Add(id); // Not fresh, or waited so long in the queue that its lease may lapse mid-attempt.
        }
        if (toLease.Count > 0) leased.AddRange(await store.LeaseAsync(toLease, ct));
        if (leased.Count == 0) return [];
        var results = await Task.WhenAll(leased.Select(l => sender.SendAsync(l.Job, l.Webhook, ct)));
        return await store.RecordAsync(leased.Zip(results).ToList());
    }
}
