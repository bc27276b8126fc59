namespace WebhookConsole.Data.Entities;

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
