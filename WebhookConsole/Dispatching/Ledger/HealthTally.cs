using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Policy;

namespace WebhookConsole.Dispatching.Ledger;

/// <summary>
/// What one group of recorded attempts says about their webhooks' health: consecutive failures per webhook (a
/// success resets the count, so only failures after the last success add up) and webhooks whose receiver said 410
/// Gone. Only the schedule's own attempts count: a test, or a retry a person asked for (perhaps to a path they
/// typed), neither disables a webhook nor counts toward the threshold.
/// </summary>
internal sealed class HealthTally
{
    private readonly Dictionary<Guid, (bool Reset, int Failures)> streaks = [];
    private readonly Dictionary<Guid, string> gone = [];
    private List<(Guid Id, int Failures)> overThreshold = [];

    public void Count(Guid webhookId, JobAttempt attempt, DeliveryOutcome outcome, string resultSummary)
    {
        if (attempt.Trigger != AttemptTrigger.Schedule) return;
        if (outcome.WebhookGone) gone.TryAdd(webhookId, $"receiver answered {resultSummary}");
        streaks[webhookId] = outcome.DeliveryFailed
            ? streaks.TryGetValue(webhookId, out var h) ? h with { Failures = h.Failures + 1 } : (false, 1)
            : (true, 0);
    }

    /// <summary>Writes the failure counts in the caller's transaction and notes the webhooks now over <paramref name="threshold"/>.</summary>
    public async Task WriteAsync(AppDbContext db, int threshold)
    {
        // The usual case, a webhook whose last delivery succeeded, is one statement for all of them.
        var healthy = streaks.Where(h => h.Value is (true, 0)).Select(h => h.Key).ToList();
        if (healthy.Count > 0)
        {
            await db.Webhooks.Where(w => healthy.Contains(w.Id) && w.ConsecutiveFailures != 0)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.ConsecutiveFailures, 0));
        }
        foreach (var (webhookId, (reset, failures)) in streaks.Where(h => h.Value is not (true, 0)))
        {
            if (reset)
            {
                await db.Webhooks.Where(w => w.Id == webhookId && w.ConsecutiveFailures != failures)
                    .ExecuteUpdateAsync(s => s.SetProperty(w => w.ConsecutiveFailures, failures));
            }
            else
            {
                await db.Webhooks.Where(w => w.Id == webhookId)
                    .ExecuteUpdateAsync(s => s.SetProperty(w => w.ConsecutiveFailures, w => w.ConsecutiveFailures + failures));
            }
        }
        var failing = streaks.Where(h => h.Value.Failures > 0).Select(h => h.Key).ToList();
        if (threshold > 0 && failing.Count > 0)
        {
            overThreshold = (await db.Webhooks.Where(w => failing.Contains(w.Id) && w.Enabled && w.ConsecutiveFailures >= threshold)
                .Select(w => new { w.Id, w.ConsecutiveFailures }).ToListAsync()).Select(w => (w.Id, w.ConsecutiveFailures)).ToList();
        }
    }

    /// <summary>After the commit: disables the webhooks that said Gone or reached the threshold.</summary>
    public async Task DisableAsync(WebhookHealth health)
    {
        foreach (var (webhookId, reason) in gone) await health.DisableAsync(webhookId, reason, CancellationToken.None);
        foreach (var (webhookId, failures) in overThreshold.Where(w => !gone.ContainsKey(w.Id)))
        {
            await health.DisableAsync(webhookId, $"{failures} consecutive failed deliveries", CancellationToken.None);
        }
    }
}
