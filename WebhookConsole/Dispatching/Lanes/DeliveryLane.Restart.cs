using WebhookConsole.Dispatching.Ledger;

namespace WebhookConsole.Dispatching.Lanes;

/// <summary>The lane's side of a restart: what the last run left (its outcome journal, its leases) before the first send.</summary>
public sealed partial class DeliveryLane
{
    /// <summary>Each outcome as soon as it is known (SQLite): after a kill, what was answered is not sent again.</summary>
    private OutcomeJournal? _journal;

    private async Task ResumeAfterLastRunAsync(CancellationToken ct)
    {
        // First what the last run heard back about and did not commit; then its leases, so the rest resumes.
        try
        {
            _journal = await _journalRecovery.OpenAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "The outcome journal could not be opened; this run keeps none, so a kill sends again what was answered and not yet recorded.");
        }
        try
        {
            var ended = await _store.EndLeasesOfStoppedProcessAsync(ct);
            if (ended > 0) _logger.LogWarning("{Count} deliveries were leased when the console last stopped; they resume now.", ended);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "Could not end the leases left by the last run; those jobs resume when the leases run out.");
        }
    }
}
