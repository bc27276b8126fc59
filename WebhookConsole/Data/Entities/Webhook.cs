namespace WebhookConsole.Data.Entities;

public enum WebhookScope { Space, Kapp }

public enum PayloadFormat { Kinetic, Portal, Doforms, Jodoo }

public enum SigningScheme
{
    Standard,
    Github,
    Jodoo,
    None,
    /// <summary>Standard Webhooks' asymmetric signature: Ed25519 over <c>id.timestamp.body</c>, <c>v1a,</c> in <c>webhook-signature</c>.</summary>
    [System.Runtime.Serialization.EnumMember(Value = "standard-ed25519")] StandardEd25519,
}

/// <summary>
/// A request header. A secret one's value is write-only: on a webhook it is stored encrypted, on jobs and attempts it
/// is stored masked, and the sender adds the real value from the webhook at send time.
/// </summary>
public sealed record HeaderEntry(string Name, string Value,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] bool Secret = false)
{
    public const string Masked = "••••";
}

/// <summary>A webhook definition: which event fires it, what runs, where it is sent and how.</summary>
public class Webhook
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>Upper-case name, so uniqueness per scope ignores case.</summary>
    public string NormalizedName { get; set; } = "";
    public WebhookScope Scope { get; set; }
    /// <summary>Kapp slug for Kapp-scoped webhooks; empty for Space scope (so the unique index works).</summary>
    public string Kapp { get; set; } = "";
    public string Type { get; set; } = "";
    public string Event { get; set; } = "";
    public string? Form { get; set; }
    public string Filter { get; set; } = "";
    public string Url { get; set; } = "";
    public List<HeaderEntry> Headers { get; set; } = [];
    public PayloadFormat PayloadFormat { get; set; }
    public Dictionary<string, string> FieldAliases { get; set; } = [];
    public SigningScheme SigningScheme { get; set; }
    public string? SigningSecret { get; set; }
    /// <summary>After a rotation with a grace period: the secret deliveries are also signed with until <see cref="PreviousSigningSecretUntil"/>.</summary>
    public string? PreviousSigningSecret { get; set; }
    public DateTime? PreviousSigningSecretUntil { get; set; }
    /// <summary>Scheme standard-ed25519: the public key (<c>whpk_…</c>) receivers verify with; the secret key is <see cref="SigningSecret"/>.</summary>
    public string? SigningPublicKey { get; set; }
    public bool IncludeApiEvents { get; set; }
    public bool AsyncAck { get; set; }
    /// <summary>The platform waits for this webhook's reply (<c>Prefer: wait</c>): its attempt is made at once, within the deadline.</summary>
    public bool Synchronous { get; set; }
    /// <summary>Deliveries a second at most (0: no limit), so a fragile receiver is not flooded; past it they wait their turn.</summary>
    public int MaxDeliveriesPerSecond { get; set; }
    /// <summary>Deliveries in flight at once at most (0: no limit).</summary>
    public int MaxConcurrentDeliveries { get; set; }
    public string? CallbackSecret { get; set; }
    public int TimeoutSeconds { get; set; } = 15;
    public bool Enabled { get; set; } = true;
    public int ConsecutiveFailures { get; set; }
    /// <summary>Set only when the system disabled the webhook (410, failure threshold); null when a person did.</summary>
    public string? DisabledReason { get; set; }
    public DateTime? DisabledAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
    /// <summary>Optimistic concurrency token, bumped on every save.</summary>
    public long Version { get; set; }
}
