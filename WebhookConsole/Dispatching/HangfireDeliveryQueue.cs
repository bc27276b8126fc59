using Hangfire;
using Microsoft.Extensions.Options;

namespace WebhookConsole.Dispatching;

/// <summary>The only class that talks to Hangfire's <see cref="IBackgroundJobClient"/>.</summary>
public sealed class HangfireDeliveryQueue(IBackgroundJobClient jobs, InFlightJobs inFlight, FreshJobs fresh, IOptions<DispatchOptions> options) : IDeliveryQueue
{
    public int FreshCapacity => options.Value.Enabled ? fresh.Free : 0;

    public void EnqueueFresh(IReadOnlyList<LeasedJob> jobs)
    {
        foreach (var job in jobs) fresh.Add(job);
        Enqueue(jobs.Select(j => j.Job.Id).ToList());
    }

    public void Enqueue(IReadOnlyCollection<Guid> jobIds)
    {
        // Always enqueue (a manual retry must not wait behind a retry scheduled for later); the in-flight set
        // only keeps the recovery sweep from adding duplicates. A duplicate run is harmless: the lease and the
        // due time let one attempt through.
        foreach (var id in jobIds) inFlight.TryAdd(id);
        // A Hangfire job per batch, not per delivery: its lease and its records are one transaction each.
        foreach (var batch in jobIds.Chunk(Math.Max(1, options.Value.BatchSize)))
        {
            jobs.Enqueue<DeliveryJob>(j => j.RunBatchAsync(batch, CancellationToken.None));
        }
    }

    public void Schedule(Guid jobId, TimeSpan delay)
    {
        // Called from the running job itself, which still holds the id in flight; the next run releases it.
        inFlight.TryAdd(jobId);
        if (delay <= TimeSpan.Zero) jobs.Enqueue<DeliveryJob>(j => j.RunAsync(jobId, CancellationToken.None));
        else jobs.Schedule<DeliveryJob>(j => j.RunAsync(jobId, CancellationToken.None), delay);
    }
}
