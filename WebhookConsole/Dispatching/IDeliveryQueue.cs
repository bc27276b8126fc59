namespace WebhookConsole.Dispatching;

/// <summary>
/// Where committed jobs are handed for delivery. The one door to the delivery engine: ingestion, retries
/// and recovery all enqueue through it.
/// </summary>
public interface IDeliveryQueue
{
    void Enqueue(IReadOnlyCollection<Guid> jobIds);

    /// <summary>Runs the job again after a delay (the retry schedule).</summary>
    void Schedule(Guid jobId, TimeSpan delay);
}
