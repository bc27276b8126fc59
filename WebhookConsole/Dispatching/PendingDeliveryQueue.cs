namespace WebhookConsole.Dispatching;

/// <summary>
/// Until the delivery engine (issue 4) is wired in, committed jobs stay Pending in the database, which is
/// the source of truth: the engine's recovery sweep picks up every due Pending job when it arrives.
/// </summary>
internal sealed class PendingDeliveryQueue(ILogger<PendingDeliveryQueue> logger) : IDeliveryQueue
{
    public void Enqueue(IReadOnlyCollection<Guid> jobIds) =>
        logger.LogDebug("{Count} jobs written as Pending.", jobIds.Count);
}
