using WebhookConsole.Dispatching.Ledger;

namespace WebhookConsole.Dispatching.Lanes;

/// <summary>
/// Where committed jobs are handed for delivery. The one door to the delivery engine: ingestion, retries
/// and recovery all enqueue through it.
/// </summary>
public interface IDeliveryQueue
{
    void Enqueue(IReadOnlyCollection<Guid> jobIds);

    /// <summary>Runs the job at <paramref name="dueAt"/>, its <c>NextAttemptAt</c> (the retry schedule).</summary>
    void Schedule(Guid jobId, DateTime dueAt);

    /// <summary>
    /// Called by ingestion before it writes new jobs: when this queue can take them all as <see cref="EnqueueFresh"/>
    /// hands them over (written already leased to this process, their rows kept in memory), it sets each job's
    /// lease and returns true; otherwise it clears the leases and returns false. The lease rule stays in the engine.
    /// </summary>
    bool LeaseFresh(IReadOnlyList<LeasedJob> jobs, DateTime now)
    {
        foreach (var leased in jobs) leased.Job.LeaseUntil = null;
        return false;
    }

    /// <summary>
    /// Sends one attempt of the job now, if it is Pending, due and free, and returns it once recorded (the Test
    /// button); null when nothing was sent. <paramref name="create"/>, when given, writes the job while the queue
    /// already holds its id, so the queue's own poll cannot take a just-written job up first. <paramref name="timeoutCap"/>
    /// shortens the webhook's timeout (a synchronous reply's deadline).
    /// </summary>
    Task<Data.Entities.JobAttempt?> AttemptNowAsync(Guid jobId, Func<CancellationToken, Task>? create, CancellationToken ct, TimeSpan? timeoutCap = null);

    /// <summary>Jobs just committed with a lease for this process; their first attempt needs no read and no lease write.</summary>
    void EnqueueFresh(IReadOnlyList<LeasedJob> jobs) => Enqueue(jobs.Select(j => j.Job.Id).ToList());
}
