using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Security;

namespace WebhookConsole.Dispatching.Policy;

/// <summary>
/// Disables a webhook on the delivery engine's behalf (a 410, or <c>Dispatch:DisableAfterConsecutiveFailures</c>
/// failures in a row, counted by <see cref="DeliveryStore"/>), with the reason, an audit entry and a notification
/// for the admins; its jobs are held until it is enabled again.
/// </summary>
public sealed class WebhookHealth(
    IDbContextFactory<AppDbContext> dbFactory, WriteGate gate, WebhookChanges changes, AuditLog audit, TimeProvider time, ILogger<WebhookHealth> logger)
{
    public async Task DisableAsync(Guid webhookId, string reason, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct)) await DisableCoreAsync(webhookId, reason, ct);
    }

    private async Task DisableCoreAsync(Guid webhookId, string reason, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var w = await db.Webhooks.FirstOrDefaultAsync(x => x.Id == webhookId, ct);
        if (w is null || !w.Enabled) return;
        var now = time.GetUtcNow().UtcDateTime;
        w.Enabled = false;
        w.DisabledReason = reason;
        w.DisabledAt = now;
        w.UpdatedAt = now;
        w.UpdatedBy = "system";
        w.Version++;
        audit.Record(db, Actor.System, "Webhook", w.Id.ToString(), w.Name, "disabled by the system",
            new Dictionary<string, string?> { ["enabled"] = "True" }, new Dictionary<string, string?> { ["enabled"] = "False", ["disabledReason"] = reason });
        db.Notifications.Add(new Notification
        {
            At = now,
            Kind = NotificationKind.WebhookDisabled,
            Title = $"Webhook '{w.Name}' was disabled",
            Message = $"Reason: {reason}. Its pending deliveries are held; fix the receiver, then enable the webhook to resume them.",
            WebhookId = w.Id,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone saved the webhook at the same moment; the next failure will try again.
            return;
        }
        changes.Changed();
        logger.LogWarning("Disabled webhook {Webhook} ({Id}): {Reason}", w.Name, w.Id, reason);
    }
}
