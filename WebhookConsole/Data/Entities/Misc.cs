using Microsoft.AspNetCore.Identity;

namespace WebhookConsole.Data.Entities;

public class AppUser : IdentityUser
{
    public string? DisplayName { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Disabled by an admin: cannot sign in, and open sessions end at the next revalidation.</summary>
    public bool Disabled { get; set; }
}

/// <summary>Who changed what: field-level changes as JSON, secrets masked before they get here.</summary>
public class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public string Actor { get; set; } = "";
    public string EntityType { get; set; } = "";
    public string? EntityId { get; set; }
    public string? EntityName { get; set; }
    public string Action { get; set; } = "";
    public List<AuditChange> Changes { get; set; } = [];
}

public sealed record AuditChange(string Field, string? Old, string? New);

public class ApiKey
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>The first characters of the key, shown in lists so people can tell keys apart.</summary>
    public string Prefix { get; set; } = "";
    /// <summary>SHA-256 of the whole key, hex. Keys are 256-bit random values, so a fast hash is enough.</summary>
    public string Hash { get; set; } = "";
    public List<string> Scopes { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
}

public enum NotificationKind { WebhookDisabled, FailureSpike }

public class Notification
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public NotificationKind Kind { get; set; }
    public string Title { get; set; } = "";
    public string Message { get; set; } = "";
    public Guid? WebhookId { get; set; }
    public DateTime? ReadAt { get; set; }
}
