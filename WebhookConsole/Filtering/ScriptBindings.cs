using System.Text.Json;
using WebhookConsole.Events;
using WebhookConsole.Catalog;

namespace WebhookConsole.Filtering;

/// <summary>
/// What a filter or template can read about one event: <c>space()</c>, <c>kapp()</c>, <c>form()</c>,
/// <c>submission()</c>, <c>values()</c>, <c>team()</c>, <c>user()</c> (and <c>event()</c>), each taking a key.
/// Only the bindings the event's type carries are available.
/// </summary>
public sealed class ScriptBindings
{
    public static readonly string[] AllBindings = ["event", "space", "kapp", "form", "submission", "values", "team", "user", "discussion", "invitation"];

    private readonly JsonElement _context;
    private readonly Dictionary<string, string?> _event;

    public ScriptBindings(string type, string action, JsonElement context, string? kapp = null, string? form = null, string source = "ui", DateTime? occurredAt = null)
    {
        Type = type;
        Action = action;
        _context = context.ValueKind == JsonValueKind.Object ? context : default;
        Available = EventCatalog.Find(type)?.Bindings ?? ["event"];
        _event = new(StringComparer.OrdinalIgnoreCase)
        {
            ["type"] = type,
            ["action"] = action,
            ["source"] = source,
            ["kapp"] = kapp,
            ["form"] = form,
            ["timestamp"] = (occurredAt ?? DateTime.UtcNow).ToString("O"),
        };
    }

    public string Type { get; }
    public string Action { get; }
    public IReadOnlyList<string> Available { get; }

    public static ScriptBindings FromJson(string type, string action, string contextJson, string? kapp = null, string? form = null, string source = "ui")
    {
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(contextJson) ? "{}" : contextJson);
        return new ScriptBindings(type, action, doc.RootElement.Clone(), kapp, form, source);
    }

    public bool IsAvailable(string binding) => Available.Contains(binding);

    /// <summary>Looks a key up in one binding. Missing keys give null (the sandbox turns that into "").</summary>
    public BindingValue Lookup(string binding, string key)
    {
        if (binding == "event")
        {
            return _event.TryGetValue(key, out var v) && v is not null ? BindingValue.Of(v) : BindingValue.Missing;
        }
        if (binding == "values")
        {
            var values = Section("submission") is { } sub && sub.TryGetProperty("values", out var vv) ? vv
                : _context.ValueKind == JsonValueKind.Object && _context.TryGetProperty("values", out var top) ? top
                : default;
            return Property(values, key);
        }
        var section = Section(binding);
        // The envelope's kapp and form slugs stand in when the context does not carry those objects.
        if (key == "slug" && binding is "kapp" or "form" && (section is null || !section.Value.TryGetProperty("slug", out _))
            && _event[binding] is { Length: > 0 } slug)
        {
            return BindingValue.Of(slug);
        }
        if (section is not { } obj) return BindingValue.Missing;

        if (key.StartsWith("attribute:", StringComparison.Ordinal) || key.StartsWith("attributeValues:", StringComparison.Ordinal))
        {
            var name = key[(key.IndexOf(':') + 1)..];
            var all = key.StartsWith("attributeValues:", StringComparison.Ordinal);
            if (!obj.TryGetProperty("attributes", out var attrs) || attrs.ValueKind != JsonValueKind.Object
                || !attrs.TryGetProperty(name, out var attr))
            {
                return all ? BindingValue.OfJson(EmptyArray) : BindingValue.Missing;
            }
            if (all) return BindingValue.OfJson(attr.ValueKind == JsonValueKind.Array ? attr : Wrap(attr));
            // A single attribute value reads as text, the way Kinetic filters expect (indexOf on a string).
            return attr.ValueKind == JsonValueKind.Array
                ? attr.GetArrayLength() == 0 ? BindingValue.Missing : ScalarOrJson(attr[0])
                : ScalarOrJson(attr);
        }
        return Property(obj, key);
    }

    private JsonElement? Section(string name) =>
        _context.ValueKind == JsonValueKind.Object && _context.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.Object
            ? s : null;

    private static BindingValue Property(JsonElement obj, string key) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out var v) ? ScalarOrJson(v) : BindingValue.Missing;

    private static BindingValue ScalarOrJson(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => BindingValue.Of(v.GetString()!),
        JsonValueKind.Number => new BindingValue(null, v.GetDouble(), null, null),
        JsonValueKind.True => new BindingValue(null, null, true, null),
        JsonValueKind.False => new BindingValue(null, null, false, null),
        JsonValueKind.Object or JsonValueKind.Array => BindingValue.OfJson(v),
        _ => BindingValue.Missing,
    };

    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement.Clone();

    private static JsonElement Wrap(JsonElement v) => JsonDocument.Parse($"[{v.GetRawText()}]").RootElement.Clone();
}

/// <summary>One looked-up value: text, number, boolean, or JSON (objects, arrays). All null = missing.</summary>
public readonly record struct BindingValue(string? Text, double? Number, bool? Boolean, JsonElement? Json)
{
    public static readonly BindingValue Missing = default;
    public static BindingValue Of(string text) => new(text, null, null, null);
    public static BindingValue OfJson(JsonElement json) => new(null, null, null, json);
}
