using Hangfire;

namespace WebhookConsole.Dispatching;

/// <summary>The only class that talks to Hangfire's <see cref="IBackgroundJobClient"/>.</summary>
public sealed class HangfireDeliveryQueue(IBackgroundJobClient jobs, InFlightJobs inFlight) : IDeliveryQueue
{
    public void Enqueue(IReadOnlyCollection<Guid> jobIds)
    {
        foreach (var id in jobIds)
        {
            if (inFlight.TryAdd(id)) jobs.Enqueue<DeliveryJob>(j => j.RunAsync(id, CancellationToken.None));
        }
    }

    public void Schedule(Guid jobId, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Enqueue([jobId]);
            return;
        }
        inFlight.TryAdd(jobId);
        jobs.Schedule<DeliveryJob>(j => j.RunAsync(jobId, CancellationToken.None), delay);
    }
}
