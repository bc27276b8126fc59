namespace WebhookConsole.Dispatching.Lanes;

/// <summary>Asks the recovery sweep to run now rather than at its next tick (a webhook was enabled, jobs were retried).</summary>
public sealed class RecoverySignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try { _signal.Release(); } catch (SemaphoreFullException) { }
    }

    internal Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}
