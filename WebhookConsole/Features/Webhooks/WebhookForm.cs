using WebhookConsole.Catalog;
using WebhookConsole.Common;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;

namespace WebhookConsole.Features.Webhooks;

/// <summary>The editor's mutable model; converts to and from the API shapes so both paths share one set of rules.</summary>
public sealed class WebhookForm
{
    public string Name { get; set; } = "";
    public WebhookScope Scope { get; set; } = WebhookScope.Kapp;
    public string Kapp { get; set; } = "";
    public string Type { get; set; } = "Submission";
    public string Event { get; set; } = "Submitted";
    public string Form { get; set; } = "";
    public string Filter { get; set; } = "";
    public string Url { get; set; } = "";
    public List<EditableHeader> Headers { get; set; } = [];
    public PayloadFormat PayloadFormat { get; set; }
    public List<EditableAlias> Aliases { get; set; } = [];
    public SigningScheme SigningScheme { get; set; }
    /// <summary>Null = keep the stored secret; a value replaces it.</summary>
    public string? NewSecret { get; set; }
    public bool HasSecret { get; set; }
    /// <summary>standard-ed25519: the public key receivers verify with (<c>whpk_…</c>).</summary>
    public string? PublicKey { get; set; }
    /// <summary>While a rotated-out secret still signs deliveries.</summary>
    public DateTime? PreviousValidUntil { get; set; }
    public bool IncludeApiEvents { get; set; }
    public bool AsyncAck { get; set; }
    public bool Synchronous { get; set; }
    public int MaxDeliveriesPerSecond { get; set; }
    public int MaxConcurrentDeliveries { get; set; }
    public string? CallbackSecret { get; set; }
    public int TimeoutSeconds { get; set; } = 15;
    public bool Enabled { get; set; } = true;
    public long Version { get; set; }

    public EventTypeInfo? TypeInfo => EventCatalog.Find(Type);

    public static WebhookForm From(WebhookView w) => new()
    {
        Name = w.Name,
        Scope = Enum.Parse<WebhookScope>(w.Scope),
        Kapp = w.Kapp ?? "",
        Type = w.Type,
        Event = w.Event,
        Form = w.Form ?? "",
        Filter = w.Filter,
        Url = w.Url,
        Headers = w.Headers.Select(h => new EditableHeader { Name = h.Name, Value = h.Value ?? "", Secret = h.Secret, HasValue = h.HasValue }).ToList(),
        PayloadFormat = Enum.Parse<PayloadFormat>(w.PayloadFormat, ignoreCase: true),
        Aliases = w.FieldAliases.Select(a => new EditableAlias { Field = a.Key, Alias = a.Value }).ToList(),
        SigningScheme = EnumNames.TryParse<SigningScheme>(w.Signing.Scheme, out var scheme) ? scheme : SigningScheme.Standard,
        PublicKey = w.Signing.PublicKey,
        PreviousValidUntil = w.Signing.PreviousValidUntil,
        HasSecret = w.HasSecret,
        IncludeApiEvents = w.IncludeApiEvents,
        AsyncAck = w.AsyncAck,
        Synchronous = w.Synchronous,
        MaxDeliveriesPerSecond = w.MaxDeliveriesPerSecond,
        MaxConcurrentDeliveries = w.MaxConcurrentDeliveries,
        CallbackSecret = w.CallbackSecret,
        TimeoutSeconds = w.TimeoutSeconds,
        Enabled = w.Enabled,
        Version = w.Version,
    };

    public WebhookInput ToInput(bool creating) => new()
    {
        Name = Name,
        Scope = Scope.ToString(),
        Kapp = Scope == WebhookScope.Kapp ? Kapp : "",
        Type = Type,
        Event = Event,
        Form = TypeInfo?.HasForm == true ? Form : "",
        Filter = Filter,
        Url = Url,
        Headers = Headers.Select(h => new HeaderInput(h.Name, h.Value, h.Secret)).ToList(),
        PayloadFormat = EnumNames.Format(PayloadFormat),
        FieldAliases = Aliases.Where(a => a.Field.Length > 0 || a.Alias.Length > 0)
            .GroupBy(a => a.Field).ToDictionary(g => g.Key, g => g.Last().Alias),
        Signing = new SigningInput(EnumNames.Format(SigningScheme), NewSecret ?? (creating ? "" : null)),
        IncludeApiEvents = IncludeApiEvents,
        AsyncAck = AsyncAck,
        Synchronous = Synchronous,
        MaxDeliveriesPerSecond = MaxDeliveriesPerSecond,
        MaxConcurrentDeliveries = MaxConcurrentDeliveries,
        Enabled = Enabled,
        TimeoutSeconds = TimeoutSeconds,
        Version = creating ? null : Version,
    };

    public sealed class EditableHeader
    {
        public string Name { get; set; } = "";
        /// <summary>For a secret header, empty means "keep the stored value" (it is never sent to the browser).</summary>
        public string Value { get; set; } = "";
        private bool? _secret;

        /// <summary>Secret unless the admin says otherwise when the name looks like a credential (Authorization, *token*...).</summary>
        public bool Secret
        {
            get => _secret ?? Security.CredentialHeaders.IsCredentialLike(Name);
            set => _secret = value;
        }

        public bool HasValue { get; set; }
    }

    public sealed class EditableAlias
    {
        public string Field { get; set; } = "";
        public string Alias { get; set; } = "";
    }
}
