using WebhookConsole.Common;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Features.Webhooks;

/// <summary>
/// A webhook as written by the API and the editor. On update, a field left out (null) keeps its current
/// value; the secret is write-only and is only changed when sent.
/// </summary>
public sealed record WebhookInput
{
    public string? Name { get; init; }
    public string? Scope { get; init; }
    public string? Kapp { get; init; }
    public string? Type { get; init; }
    public string? Event { get; init; }
    public string? Form { get; init; }
    public string? Filter { get; init; }
    public string? Url { get; init; }
    public List<HeaderInput>? Headers { get; init; }
    public string? PayloadFormat { get; init; }
    public Dictionary<string, string>? FieldAliases { get; init; }
    public SigningInput? Signing { get; init; }
    public bool? IncludeApiEvents { get; init; }
    public bool? AsyncAck { get; init; }
    /// <summary>The platform waits for the reply (<c>Prefer: wait</c>); only for the events it waits on.</summary>
    public bool? Synchronous { get; init; }
    /// <summary>Deliveries a second at most; 0: no limit.</summary>
    public int? MaxDeliveriesPerSecond { get; init; }
    /// <summary>Deliveries in flight at once at most; 0: no limit.</summary>
    public int? MaxConcurrentDeliveries { get; init; }
    public bool? Enabled { get; init; }
    public int? TimeoutSeconds { get; init; }
    /// <summary>The version the writer last read; a stale one is refused instead of overwriting.</summary>
    public long? Version { get; init; }
}

public sealed record SigningInput(string? Scheme, string? Secret);

/// <summary>
/// A header as written. <c>Secret</c> left out means "secret if the name looks like a credential"; a secret header
/// sent without a value keeps the value it has (values are write-only).
/// </summary>
public sealed record HeaderInput(string? Name, string? Value, bool? Secret = null);

/// <summary>A header as read: a secret one says that it has a value, never what it is.</summary>
public sealed record HeaderView(string Name, string? Value, bool Secret, bool HasValue)
{
    public static HeaderView From(HeaderEntry h) => h.Secret ? new(h.Name, null, true, h.Value.Length > 0) : new(h.Name, h.Value, false, h.Value.Length > 0);
}

/// <summary>
/// A webhook's signing as read: never its secret, except <see cref="Secret"/> in the reply to a create that generated
/// one. <see cref="PublicKey"/> for standard-ed25519; <see cref="PreviousValidUntil"/> while a rotated-out secret still signs.
/// </summary>
public sealed record SigningView(string Scheme, bool HasSecret,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? PublicKey = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] DateTime? PreviousValidUntil = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Secret = null)
{
    public static SigningView From(Webhook w, DateTime now) => new(EnumNames.Format(w.SigningScheme), w.SigningSecret is { Length: > 0 }, w.SigningPublicKey,
        w.PreviousSigningSecret is not null && w.PreviousSigningSecretUntil > now ? w.PreviousSigningSecretUntil : null);
}

public sealed record WebhookView(
    Guid Id, string Name, string Scope, string? Kapp, string Type, string Event, string? Form, string Filter, string Url,
    List<HeaderView> Headers, string PayloadFormat, Dictionary<string, string> FieldAliases, SigningView Signing,
    bool HasSecret, bool IncludeApiEvents, bool AsyncAck, string? CallbackSecret, bool Enabled, int TimeoutSeconds,
    int ConsecutiveFailures, string? DisabledReason, DateTime CreatedAt, string? CreatedBy, DateTime UpdatedAt, string? UpdatedBy, long Version, bool Synchronous,
    int MaxDeliveriesPerSecond, int MaxConcurrentDeliveries)
{
    /// <summary>The view of a stored webhook; the callback secret is given in plain (only Admins and webhook keys read webhooks).</summary>
    public static WebhookView From(Webhook w, string? callbackSecret) => new(
        w.Id, w.Name, w.Scope.ToString(), w.Scope == WebhookScope.Kapp ? w.Kapp : null, w.Type, w.Event, w.Form, w.Filter, w.Url,
        w.Headers.Select(HeaderView.From).ToList(), EnumNames.Format(w.PayloadFormat), new(w.FieldAliases), SigningView.From(w, DateTime.UtcNow),
        w.SigningSecret is { Length: > 0 }, w.IncludeApiEvents, w.AsyncAck, w.AsyncAck ? callbackSecret : null, w.Enabled, w.TimeoutSeconds,
        w.ConsecutiveFailures, w.DisabledReason, w.CreatedAt, w.CreatedBy, w.UpdatedAt, w.UpdatedBy, w.Version, w.Synchronous, w.MaxDeliveriesPerSecond, w.MaxConcurrentDeliveries);
}

public sealed record WebhookQuery(
    string? Search = null, WebhookScope? Scope = null, string? Type = null, string? Event = null, bool? Enabled = null,
    string SortBy = "name", bool Descending = false, int Page = 0, int PageSize = 25);

public sealed record PagedResult<T>(IReadOnlyList<T> Items, int Total);

/// <summary>What a save produced: the webhook, or why not.</summary>
public sealed record SaveResult(WebhookView? Webhook, SaveStatus Status, IDictionary<string, string[]>? Errors = null, string? Message = null)
{
    public static SaveResult Invalid(IDictionary<string, string[]> errors) => new(null, SaveStatus.Invalid, errors, "The webhook has errors; see each field.");
    public static SaveResult Fail(SaveStatus status, string message) => new(null, status, null, message);
}

public enum SaveStatus { Ok, Invalid, NotFound, Duplicate, Conflict }
