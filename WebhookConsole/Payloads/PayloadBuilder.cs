using System.Text.Json;
using System.Text.Json.Nodes;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;

namespace WebhookConsole.Payloads;

/// <summary>The event a payload is built from: what the platform reported, plus the delivery's ids.</summary>
public sealed record PayloadInput(
    Guid JobId, Webhook Webhook, string Type, string Action, string? Kapp, string? Form, DateTime OccurredAt, JsonObject Context);

/// <summary>
/// Builds the request body for each payload format (API.md): each reproduces one platform's body shape.
/// Field aliases replace field names in the values of every format.
/// </summary>
public static class PayloadBuilder
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = false };

    public static string Build(PayloadInput input) => Node(input).ToJsonString(Indented);

    public static JsonObject Node(PayloadInput input) => input.Webhook.PayloadFormat switch
    {
        PayloadFormat.Portal => Portal(input),
        PayloadFormat.Doforms => Doforms(input),
        PayloadFormat.Jodoo => Jodoo(input),
        _ => Kinetic(input),
    };

    /// <summary><c>{ event: {type, action, timestamp}, space, kapp, form, submission, values, user, team }</c>, only what the type carries.</summary>
    public static JsonObject Kinetic(PayloadInput i)
    {
        var bindings = EventCatalog.Find(i.Type)?.Bindings ?? [];
        var body = new JsonObject
        {
            ["event"] = new JsonObject { ["type"] = i.Type, ["action"] = i.Action, ["timestamp"] = Timestamp(i.OccurredAt) },
        };
        foreach (var name in new[] { "space", "kapp", "form", "submission", "team", "user", "discussion", "invitation" })
        {
            if (!bindings.Contains(name)) continue;
            var section = Section(i.Context, name);
            // The envelope's slugs stand in for kapp and form objects the context left out.
            if (section is null && name == "kapp" && i.Kapp is not null) section = new JsonObject { ["slug"] = i.Kapp };
            if (section is null && name == "form" && i.Form is not null) section = new JsonObject { ["slug"] = i.Form };
            if (section is null) continue;
            if (name == "submission") section.Remove("values");
            body[name] = section;
        }
        if (bindings.Contains("values")) body["values"] = Values(i);
        return body;
    }

    /// <summary>The portal's event name, <c>user_info</c> and <c>meta_info</c> always; <c>form_info</c> and <c>doc</c> for form events.</summary>
    public static JsonObject Portal(PayloadInput i)
    {
        var user = Section(i.Context, "user") ?? new JsonObject();
        var body = new JsonObject
        {
            ["event"] = PortalEventName(i.Type, i.Action, i.Webhook.Form ?? i.Form),
            ["user_info"] = user,
            ["meta_info"] = new JsonObject
            {
                ["event_id"] = i.JobId.ToString(),
                ["timestamp"] = Timestamp(i.OccurredAt),
                ["space"] = Section(i.Context, "space")?["slug"]?.DeepClone(),
                ["kapp"] = i.Kapp,
                ["type"] = i.Type,
                ["action"] = i.Action,
            },
        };
        if (EventCatalog.Find(i.Type)?.HasForm == true)
        {
            var form = Section(i.Context, "form") ?? new JsonObject();
            form.Remove("attributes");
            body["form_info"] = form;
            body["doc"] = Values(i);
        }
        return body;
    }

    public static string PortalEventName(string type, string action, string? form) => (type, action) switch
    {
        ("User", "Created") => "user_registered",
        ("User", "Login") => "login_success",
        ("User", "Login Failure") => "login_failure",
        ("User", "Logout") => "logout",
        ("User", "Updated") => "edit_user_credentials",
        ("Submission" or "Datastore Submission", "Submitted") => string.IsNullOrEmpty(form) ? "form_submitted" : $"form_submit_{form}",
        ("Submission" or "Datastore Submission", "Status Changed") => "status_update",
        _ => Snake(type) + "_" + Snake(action),
    };

    /// <summary>doForms: <c>key</c> (the job id, stable for the job's life), <c>customerKey</c>, <c>submissionKey</c>, <c>webserviceId</c>, <c>event</c>, <c>status</c>, <c>createTime</c>, and the record.</summary>
    public static JsonObject Doforms(PayloadInput i)
    {
        var submission = Section(i.Context, "submission");
        return new JsonObject
        {
            ["key"] = i.JobId.ToString(),
            ["customerKey"] = Section(i.Context, "space")?["slug"]?.DeepClone(),
            ["submissionKey"] = submission?["id"]?.DeepClone(),
            ["webserviceId"] = i.Webhook.Id.ToString(),
            ["event"] = i.Action switch
            {
                "Updated" or "Saved" => "update",
                "Deleted" => "delete",
                "Status Changed" or "Closed" => "status",
                _ => "create",
            },
            ["status"] = submission?["coreState"]?.DeepClone(),
            ["createTime"] = submission?["createdAt"]?.DeepClone() ?? Timestamp(i.OccurredAt),
            ["record"] = Values(i),
        };
    }

    /// <summary>Jodoo: <c>{ op, data }</c>.</summary>
    public static JsonObject Jodoo(PayloadInput i)
    {
        var op = (i.Type, i.Action) switch
        {
            ("Form" or "Datastore Form", _) => "form_update",
            (_, "Deleted") => "data_remove",
            (_, "Recovered" or "Restored") => "data_recover",
            (_, "Created" or "Submitted") => "data_create",
            _ => "data_update",
        };
        var submission = Section(i.Context, "submission");
        var form = Section(i.Context, "form");
        var user = Section(i.Context, "user");
        JsonObject data;
        if (op == "form_update")
        {
            data = form ?? new JsonObject();
        }
        else if (op == "data_remove")
        {
            data = new JsonObject
            {
                ["formName"] = form?["name"]?.DeepClone(),
                ["_id"] = submission?["id"]?.DeepClone(),
                ["deleter"] = user,
                ["deleteTime"] = Timestamp(i.OccurredAt),
            };
        }
        else
        {
            data = Values(i);
            data["_id"] = submission?["id"]?.DeepClone();
            data["formName"] = form?["name"]?.DeepClone();
            data["creator"] = submission?["createdBy"]?.DeepClone();
            data["createTime"] = submission?["createdAt"]?.DeepClone();
            data["updateTime"] = submission?["updatedAt"]?.DeepClone() ?? Timestamp(i.OccurredAt);
        }
        return new JsonObject { ["op"] = op, ["data"] = data };
    }

    /// <summary>The submission's values with field aliases applied (alias replaces the field name).</summary>
    public static JsonObject Values(PayloadInput i)
    {
        var values = Section(i.Context, "submission")?["values"] as JsonObject ?? i.Context["values"] as JsonObject;
        var result = new JsonObject();
        if (values is null) return result;
        foreach (var (name, value) in values)
        {
            var key = i.Webhook.FieldAliases.TryGetValue(name, out var alias) ? alias : name;
            result[key] = value?.DeepClone();
        }
        return result;
    }

    private static JsonObject? Section(JsonObject context, string name) => context[name] is JsonObject o ? (JsonObject)o.DeepClone() : null;

    private static string Timestamp(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ");

    private static string Snake(string s) => s.ToLowerInvariant().Replace(' ', '_');
}
