using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;

namespace WebhookConsole.Auditing;

/// <summary>
/// Records who changed what, in the same unit of work as the change itself, so a change and its audit
/// entry are saved together or not at all.
/// </summary>
public sealed class AuditLog(TimeProvider time)
{
    public const string Masked = "••••••";

    public void Record(AppDbContext db, Actor actor, string entityType, string? entityId, string? entityName, string action,
        IReadOnlyDictionary<string, string?>? before = null, IReadOnlyDictionary<string, string?>? after = null)
    {
        db.AuditEntries.Add(new AuditEntry
        {
            At = time.GetUtcNow().UtcDateTime,
            Actor = actor.Name,
            EntityType = entityType,
            EntityId = entityId,
            EntityName = entityName,
            Action = action,
            Changes = Diff(before, after),
        });
    }

    /// <summary>Field-by-field changes. Snapshots mask secrets before they get here.</summary>
    public static List<AuditChange> Diff(IReadOnlyDictionary<string, string?>? before, IReadOnlyDictionary<string, string?>? after)
    {
        var changes = new List<AuditChange>();
        var keys = (before?.Keys ?? []).Concat(after?.Keys ?? []).Distinct();
        foreach (var key in keys)
        {
            string? old = null, @new = null;
            before?.TryGetValue(key, out old);
            after?.TryGetValue(key, out @new);
            if (!string.Equals(old, @new, StringComparison.Ordinal)) changes.Add(new AuditChange(key, old, @new));
        }
        return changes;
    }

    /// <summary>How a secret appears in a snapshot: whether it is set, and a fingerprint that changes with it but reveals nothing.</summary>
    public static string? MaskSecret(string? secret) =>
        string.IsNullOrEmpty(secret) ? null
        : $"{Masked} (#{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)))[..6]})";
}
