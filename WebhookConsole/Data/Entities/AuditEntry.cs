namespace WebhookConsole.Data.Entities;

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
