namespace WebhookConsole.Features.Webhooks.Editor;

/// <summary>The validator's messages by field path (API.md's names, e.g. <c>headers[0].name</c>), as the editor's sections show them.</summary>
public sealed class FieldErrors(IDictionary<string, string[]>? errors = null)
{
    private readonly IDictionary<string, string[]> errors = errors ?? new Dictionary<string, string[]>();

    public static FieldErrors None => new();

    public bool Has(string field) => errors.ContainsKey(field);

    public string? Of(string field) => errors.TryGetValue(field, out var messages) ? string.Join(" ", messages) : null;

    public void Clear(string field) => errors.Remove(field);
}
