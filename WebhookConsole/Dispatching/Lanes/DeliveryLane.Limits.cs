using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Dispatching.Lanes;

/// <summary>The lane's side of per-webhook limits (<see cref="WebhookLimiter"/>).</summary>
public sealed partial class DeliveryLane
{
    private readonly WebhookLimiter _limiter = new();

    /// <summary>
    /// Of the jobs just leased, those their webhooks' limits let go now. The others give their leases back (one
    /// statement) and wait in memory: until their token's time, or until a send of their webhook ends.
    /// </summary>
    private async Task<List<LeasedJob>> WithinLimitsAsync(List<LeasedJob> leased, CancellationToken ct)
    {
        var now = Now;
        var go = new List<LeasedJob>(leased.Count);
        List<(Guid Id, DateTime? At)>? waiting = null;
        foreach (var job in leased)
        {
            var decision = _limiter.TryStart(job.Job.Id, job.Webhook, now, ownRetryAfter: job.Job.LastStatusCode is 429 or 503);
            if (decision.Allowed) go.Add(job);
            else (waiting ??= []).Add((job.Job.Id, decision.RetryAt));
        }
        if (waiting is null) return go;
        try
        {
            await _store.ReleaseLeasesAsync(waiting.Select(w => w.Id).ToList(), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The leases then run out on their own; the jobs are taken up again after that, marked of unknown outcome.
            _logger.LogError(ex, "Giving back {Count} leases of deliveries held by their webhooks' limits failed.", waiting.Count);
        }
        _timers.Defer(waiting, now);
        return go;
    }

    private void SendOfWebhookEnded(Guid webhookId)
    {
        if (_limiter.Ended(webhookId, Now) is { } next)
        {
            _timers.AddAll([next], Now);
            Wake();
        }
    }

    /// <summary>A 429 or 503 with Retry-After slows the webhook as a whole, not only the job that got it.</summary>
    private void NoteRetryAfter(Guid webhookId, SendResult result)
    {
        if (result.StatusCode is 429 or 503 && result.RetryAfter is { } after && after > TimeSpan.Zero)
        {
            _limiter.SlowDown(webhookId, Now + TimeSpan.FromSeconds(Math.Min(after.TotalSeconds, Math.Max(1, _options.MaxRetryAfterSeconds))));
        }
    }
}
