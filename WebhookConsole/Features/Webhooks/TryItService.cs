using System.Text.Json;
using System.Text.Json.Nodes;
using WebhookConsole.Data.Entities;
using WebhookConsole.Filtering;
using WebhookConsole.Payloads;

namespace WebhookConsole.Features.Webhooks;

public sealed record TryItResult(FilterResult? Filter, TemplateResult? Url, string? Payload, string? InputError);

/// <summary>The editor's Try it panel: runs the unsaved filter, URL and payload against a sample or pasted event.</summary>
public sealed class TryItService(IFilterEvaluator filters)
{
    public TryItResult Run(WebhookForm form, string eventJson)
    {
        JsonObject context;
        string type = form.Type, action = form.Event;
        string? kapp = form.Scope == WebhookScope.Kapp ? form.Kapp : null, formSlug = string.IsNullOrEmpty(form.Form) ? null : form.Form;
        try
        {
            if (JsonNode.Parse(string.IsNullOrWhiteSpace(eventJson) ? "{}" : eventJson) is not JsonObject root)
            {
                return new TryItResult(null, null, null, "The event must be a JSON object.");
            }
            // Accept either a bare context or a whole event as posted to /api/v1/events.
            if (root["context"] is JsonObject inner)
            {
                type = root["type"]?.GetValue<string>() ?? type;
                action = root["action"]?.GetValue<string>() ?? action;
                kapp = root["kapp"]?.GetValue<string>() ?? kapp;
                formSlug = root["form"]?.GetValue<string>() ?? formSlug;
                context = inner;
            }
            else
            {
                context = root;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return new TryItResult(null, null, null, "The event is not valid JSON: " + ex.Message);
        }

        var contextElement = JsonSerializer.SerializeToElement(context);
        var bindings = new ScriptBindings(type, action, contextElement, kapp, formSlug);
        var filter = filters.EvaluateFilter(form.Filter, bindings);
        var url = string.IsNullOrWhiteSpace(form.Url) ? new TemplateResult(null, new ScriptError(ScriptErrorKind.Template, "Enter a URL first.")) : filters.RenderTemplate(form.Url, bindings);
        var webhook = new Webhook
        {
            Id = Guid.Empty,
            Name = form.Name,
            Form = string.IsNullOrEmpty(form.Form) ? null : form.Form,
            PayloadFormat = form.PayloadFormat,
            FieldAliases = form.Aliases.Where(a => a.Field.Length > 0 && a.Alias.Length > 0).GroupBy(a => a.Field).ToDictionary(g => g.Key, g => g.Last().Alias),
        };
        // Compact, as it is sent; the panel's JsonView pretty-prints it.
        var payload = PayloadBuilder.Build(new PayloadInput(Guid.Empty, webhook, type, action, kapp, formSlug, DateTime.UtcNow, contextElement));
        return new TryItResult(filter, url, payload, null);
    }

    public static string SampleJson(WebhookForm form) =>
        SampleEvents.Context(form.Type, form.Scope == WebhookScope.Kapp && form.Kapp.Length > 0 ? form.Kapp : null, form.Form.Length > 0 ? form.Form : null)
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
