using System.Text.Json;
using System.Text.RegularExpressions;
using WebhookConsole.Catalog;
using WebhookConsole.Common;
using WebhookConsole.Data.Entities;
using WebhookConsole.Http;

namespace WebhookConsole.Events;

/// <summary>An event checked against the catalog, normalized and ready to match.</summary>
public sealed record ValidEvent(string? ClientId, EventTypeInfo TypeInfo, string Action, string? Kapp, string? Form, EventSource Source, DateTime OccurredAt, System.Text.Json.JsonElement Context)
{
    public string Type => TypeInfo.Type;
}

public static partial class EventValidator
{
    private static readonly JsonElement EmptyContext = JsonDocument.Parse("{}").RootElement;

    private static readonly string[] Sections = ["space", "kapp", "form", "submission", "user", "team", "discussion", "invitation"];

    /// <summary>One event object from a request body, bound and validated: what the single and batch endpoints share.</summary>
    public static (ValidEvent? Event, EventValidationError? Error) Read(JsonElement item, DateTime now)
    {
        if (item.ValueKind != JsonValueKind.Object) return (null, Refused("Each item must be an event object."));
        var (input, bindError) = RequestBody.Bind<EventInput>(item);
        return bindError is not null ? (null, Refused(bindError)) : Validate(input!, now);
    }

    private static EventValidationError Refused(string detail) => new(detail, new Dictionary<string, string[]> { ["$"] = [detail] });

    public static (ValidEvent? Event, EventValidationError? Error) Validate(EventInput input, DateTime now)
    {
        var errors = new Dictionary<string, string[]>();
        var type = EventCatalog.Find(input.Type);
        if (string.IsNullOrWhiteSpace(input.Type)) errors["type"] = ["Give the event's type, e.g. \"Submission\" (GET /api/v1/catalog lists them)."];
        else if (type is null) errors["type"] = [$"Unknown type '{input.Type}'. Known types: {string.Join(", ", EventCatalog.Types.Select(t => t.Type))}."];

        var action = EventCatalog.FindAction(input.Type, input.Action);
        if (string.IsNullOrWhiteSpace(input.Action)) errors["action"] = ["Give the event's action, e.g. \"Submitted\"."];
        else if (type is not null && action is null) errors["action"] = [$"'{input.Action}' is not an action of {type.Type}. Its actions: {string.Join(", ", type.Actions)}."];

        var kapp = string.IsNullOrWhiteSpace(input.Kapp) ? null : input.Kapp.Trim();
        if (type?.Scope == WebhookScope.Kapp && kapp is null) errors["kapp"] = [$"{type.Type} events happen in a kapp: give its slug in \"kapp\"."];
        if (kapp is not null && !Slug.IsValid(kapp)) errors["kapp"] = ["A kapp slug has letters, digits, '-' and '_' only (100 at most)."];

        var form = string.IsNullOrWhiteSpace(input.Form) ? null : input.Form.Trim();
        if (form is not null && !Slug.IsValid(form)) errors["form"] = ["A form slug has letters, digits, '-' and '_' only (100 at most)."];
        if (form is not null && type is not null && !type.HasForm) errors["form"] = [$"{type.Type} events have no form; leave \"form\" out."];

        var source = EventSource.Ui;
        // "simulator" marks the console's own simulated sends; a platform cannot claim it.
        if (input.Source is not null && !EnumNames.TryParse(input.Source, out source)
            || source == EventSource.Simulator)
        {
            errors["source"] = [$"The source is {EnumNames.Choices(EventSource.Simulator)}."];
        }

        if (input.Id is { Length: > 200 }) errors["id"] = ["Keep the event id to 200 characters or fewer."];
        else if (input.Id is not null && string.IsNullOrWhiteSpace(input.Id)) errors["id"] = ["The event id is blank; leave it out or give a value."];

        var occurredAt = input.OccurredAt?.ToUniversalTime() ?? now;
        if (occurredAt > now.AddDays(1)) errors["occurredAt"] = ["occurredAt is more than a day in the future; send UTC with a 'Z' or an offset."];

        var context = input.Context is { ValueKind: not JsonValueKind.Null } given ? given : EmptyContext;
        if (context.ValueKind != JsonValueKind.Object)
        {
            errors["context"] = ["'context' has the wrong type: send an object, such as { \"submission\": { \"values\": { … } } }."];
            context = EmptyContext;
        }
        foreach (var section in Sections)
        {
            if (context.TryGetProperty(section, out var node) && node.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                errors[$"context.{section}"] = [$"context.{section} must be an object, such as {{ \"slug\": \"…\" }}."];
            }
        }
        if (context.TryGetProperty("submission", out var sub) && sub.ValueKind == JsonValueKind.Object
            && sub.TryGetProperty("values", out var values) && values.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            errors["context.submission.values"] = ["context.submission.values must be an object of field name → value."];
        }

        if (errors.Count > 0)
        {
            var detail = string.Join(" ", errors.Take(3).Select(e => e.Value[0])) + (errors.Count > 3 ? $" (and {errors.Count - 3} more)" : "");
            return (null, new EventValidationError(detail, errors));
        }
        return (new ValidEvent(input.Id?.Trim(), type!, action!, kapp, form, source, occurredAt, context), null);
    }
}
