using WebhookConsole.Auditing;
using WebhookConsole.Common;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Features.Webhooks;

/// <summary>
/// A webhook's fields as the audit log records them, secrets masked. Every field a person can change is here: a save
/// whose snapshot did not change is not written at all, so a field missing here could not be changed.
/// </summary>
internal static class WebhookAudit
{
    public static Dictionary<string, string?> Snapshot(Webhook w) => new()
    {
        ["name"] = w.Name,
        ["scope"] = w.Scope.ToString(),
        ["kapp"] = w.Scope == WebhookScope.Kapp ? w.Kapp : null,
        ["type"] = w.Type,
        ["event"] = w.Event,
        ["form"] = w.Form,
        ["filter"] = w.Filter,
        ["url"] = w.Url,
        ["headers"] = w.Headers.Count == 0 ? null : string.Join("; ", w.Headers.Select(h => h.Secret ? $"{h.Name}: {AuditLog.MaskSecret(h.Value) ?? "(empty)"}" : $"{h.Name}: {h.Value}")),
        ["payloadFormat"] = EnumNames.Format(w.PayloadFormat),
        ["fieldAliases"] = w.FieldAliases.Count == 0 ? null : string.Join(", ", w.FieldAliases.OrderBy(a => a.Key).Select(a => $"{a.Key} → {a.Value}")),
        ["signing.scheme"] = EnumNames.Format(w.SigningScheme),
        ["signing.secret"] = AuditLog.MaskSecret(w.SigningSecret),
        ["includeApiEvents"] = w.IncludeApiEvents.ToString(),
        ["asyncAck"] = w.AsyncAck.ToString(),
        ["callbackSecret"] = AuditLog.MaskSecret(w.CallbackSecret),
        ["timeoutSeconds"] = w.TimeoutSeconds.ToString(),
        ["enabled"] = w.Enabled.ToString(),
        ["synchronous"] = w.Synchronous.ToString(),
        ["maxDeliveriesPerSecond"] = w.MaxDeliveriesPerSecond.ToString(),
        ["maxConcurrentDeliveries"] = w.MaxConcurrentDeliveries.ToString(),
    };
}
