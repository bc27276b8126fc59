using System.Text.RegularExpressions;
using WebhookConsole.Catalog;
using WebhookConsole.Common;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Events;
using WebhookConsole.Filtering;

namespace WebhookConsole.Features.Webhooks;

/// <summary>Every rule a webhook must meet, each error keyed by the field (API names) it is about.</summary>
public sealed partial class WebhookValidator(IFilterEvaluator filters)
{
    public const int MaxHeaders = 20;
    public const int MaxHeaderNameLength = 256;

    /// <summary>Set by the transport or by the dispatcher; a webhook may not override them.</summary>
    public static readonly IReadOnlySet<string> ReservedHeaders = new HashSet<string>(
    [
        "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "TE", "Trailer",
        "Expect", "Proxy-Authorization", "Proxy-Connection", "Cookie", "User-Agent", .. Signing.HeaderNames,
    ], StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex HeaderNameRegex();

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex AliasRegex();

    public Dictionary<string, string[]> Validate(Webhook w)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (string.IsNullOrWhiteSpace(w.Name)) Add("name", "Give the webhook a name.");
        else if (w.Name.Length > 200) Add("name", "Keep the name to 200 characters or fewer.");
        else if (w.Name.Any(char.IsControl)) Add("name", "The name cannot contain control characters such as line breaks.");

        if (w.Scope == WebhookScope.Kapp)
        {
            if (string.IsNullOrWhiteSpace(w.Kapp)) Add("kapp", "A Kapp-scoped webhook needs the kapp's slug.");
            else if (!Slug.IsValid(w.Kapp)) Add("kapp", "A kapp slug has letters, digits, '-' and '_' only.");
        }
        else if (!string.IsNullOrEmpty(w.Kapp))
        {
            Add("kapp", "Only Kapp-scoped webhooks take a kapp; clear it or choose scope Kapp.");
        }

        var type = EventCatalog.Find(w.Type);
        if (type is null)
        {
            Add("type", $"Choose a type from the catalog: {string.Join(", ", EventCatalog.ForScope(w.Scope).Select(t => t.Type))}.");
        }
        else
        {
            if (type.Scope != w.Scope) Add("type", $"{type.Type} events belong to the {type.Scope} scope, not {w.Scope}.");
            if (EventCatalog.FindAction(w.Type, w.Event) is null) Add("event", $"{type.Type} has these events: {string.Join(", ", type.Actions)}.");
            if (!string.IsNullOrEmpty(w.Form))
            {
                if (!type.HasForm) Add("form", $"{type.Type} events have no form; clear the form slug.");
                else if (!Slug.IsValid(w.Form)) Add("form", "A form slug has letters, digits, '-' and '_' only.");
            }
        }

        if (filters.ValidateFilter(w.Filter) is { } filterError) Add("filter", filterError.ToString());

        ValidateUrl(w.Url, Add);

        if (w.Headers.Count > MaxHeaders) Add("headers", $"At most {MaxHeaders} headers.");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < w.Headers.Count; i++)
        {
            var (name, value) = (w.Headers[i].Name, w.Headers[i].Value);
            var field = $"headers[{i}]";
            if (name?.Length > MaxHeaderNameLength) Add(field + ".name", $"Keep header names to {MaxHeaderNameLength} characters or fewer.");
            else if (string.IsNullOrWhiteSpace(name) || !HeaderNameRegex().IsMatch(name)) Add(field + ".name", $"'{name}' is not a valid header name (letters, digits and !#$%&'*+.^_`|~- only, no spaces).");
            else if (ReservedHeaders.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)) Add(field + ".name", $"{name} is set by the console itself and cannot be overridden.");
            else if (!seen.Add(name)) Add(field + ".name", $"{name} appears twice.");
            if (value is null || value.Any(c => char.IsControl(c) && c != '\t')) Add(field + ".value", "Header values cannot contain line breaks or other control characters.");
            else if (value.Length > 4096) Add(field + ".value", "Keep header values to 4,096 characters or fewer.");
        }

        var aliases = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (fieldName, alias) in w.FieldAliases)
        {
            var field = $"fieldAliases[{fieldName}]";
            if (string.IsNullOrWhiteSpace(fieldName)) Add("fieldAliases", "An alias needs the field name it replaces.");
            if (string.IsNullOrEmpty(alias) || !AliasRegex().IsMatch(alias)) Add(field, $"'{alias}' is not a valid alias: lower-case letters, digits and '_', starting with a letter.");
            else if (!aliases.Add(alias)) Add(field, $"The alias '{alias}' is used twice.");
        }

        ValidateSecret(w.SigningScheme, w.SigningSecret, Add);

        if (w.Synchronous && !EventCatalog.WaitsForReply(w.Type, w.Event))
        {
            Add("synchronous", $"Only webhooks of the events a platform waits on may be synchronous: {EventCatalog.WaitingEvents}.");
        }
        if (w.Synchronous && w.AsyncAck) Add("synchronous", "A synchronous webhook answers at once; it cannot also acknowledge asynchronously.");

        if (w.TimeoutSeconds is < 1 or > 60) Add("timeoutSeconds", "The timeout is between 1 and 60 seconds.");
        if (w.MaxDeliveriesPerSecond is < 0 or > 10_000) Add("maxDeliveriesPerSecond", "Deliveries per second are between 0 (no limit) and 10,000.");
        if (w.MaxConcurrentDeliveries is < 0 or > 256) Add("maxConcurrentDeliveries", "Deliveries at once are between 0 (no limit) and 256.");

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }

    private void ValidateUrl(string url, Action<string, string> add)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            add("url", "Enter the URL the webhook posts to.");
            return;
        }
        if (url.Any(char.IsControl))
        {
            add("url", "The URL contains a control character (such as a line break); remove it.");
            return;
        }
        if (url.Length > 2048)
        {
            add("url", "Keep the URL to 2,048 characters or fewer.");
            return;
        }
        if (filters.ValidateTemplate(url) is { } templateError)
        {
            add("url", templateError.ToString());
            return;
        }
        // Check the shape with each ${...} replaced by a sample value: a scheme that comes from the platform's
        // configuration is checked when the URL is rendered.
        var parts = UrlTemplate.Parse(url, out _);
        var schemeFromExpression = parts.Count > 0 && parts[0].IsExpression && parts.Skip(1).FirstOrDefault() is { IsExpression: false } next && next.Text.StartsWith("://", StringComparison.Ordinal);
        var sample = string.Concat(parts.Select((p, i) => !p.IsExpression ? p.Text : i == 0 && schemeFromExpression ? "https" : "x"));
        if (parts.Count > 0 && parts[0].IsExpression && !schemeFromExpression) sample = "https://x" + sample[1..];
        if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
        {
            add("url", "Enter an absolute http:// or https:// URL, such as https://example.com/hooks/${form('slug')}.");
        }
        else if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            add("url", "Put credentials in a header (Authorization), not in the URL: URLs are shown in the job history.");
        }
    }

    private static void ValidateSecret(SigningScheme scheme, string? secret, Action<string, string> add)
    {
        if (scheme == SigningScheme.None) return;
        if (string.IsNullOrEmpty(secret))
        {
            add("signing.secret", $"Signing scheme {EnumNames.Format(scheme)} needs a secret; generate one or choose scheme none.");
            return;
        }
        if (scheme == SigningScheme.StandardEd25519)
        {
            if (SigningSecrets.PublicKeyOf(secret) is null)
            {
                add("signing.secret", "A standard-ed25519 secret key is 'whsk_' followed by base64 of a 32-byte Ed25519 private key; leave it out and the console generates the key pair.");
            }
        }
        else if (scheme == SigningScheme.Standard)
        {
            if (!SigningSecrets.TryDecodeStandard(secret, out var key) || key.Length is < 24 or > 64)
            {
                add("signing.secret", "A Standard Webhooks secret is 'whsec_' followed by base64 of 24 to 64 random bytes; use Generate secret.");
            }
        }
        else if (secret.Length is < 16 or > 200)
        {
            add("signing.secret", "Use a secret of 16 to 200 characters; use Generate secret.");
        }
    }
}
