using System.Buffers;
using System.Text;
using System.Text.Json;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Catalog;

namespace WebhookConsole.Payloads;

/// <summary>The event a payload is built from: what the platform reported, plus the delivery's ids.</summary>
public sealed record PayloadInput(
    Guid JobId, Webhook Webhook, string Type, string Action, string? Kapp, string? Form, DateTime OccurredAt, JsonElement Context);

/// <summary>
/// Builds the request body for each payload format (API.md): each reproduces one platform's body shape.
/// Field aliases replace field names in the values of every format.
/// </summary>
/// <remarks>
/// Written straight from the event's context to UTF-8, without building a document: this runs for every job
/// an event fires, and copying the context's sections into new objects per job was a tenth of the console's
/// allocations under load.
/// </remarks>
public static class PayloadBuilder
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static string Build(PayloadInput input)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4 * 1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            Write(writer, input);
            writer.Flush();
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        finally
        {
            // A one-off huge payload does not keep its buffer for the life of the thread.
            if (buffer.Capacity > 256 * 1024) (t_buffer, t_writer) = (null, null);
        }
    }

    private static void Write(Utf8JsonWriter w, PayloadInput input)
    {
        switch (input.Webhook.PayloadFormat)
        {
            case PayloadFormat.Portal: Portal(w, input); break;
            case PayloadFormat.Doforms: Doforms(w, input); break;
            case PayloadFormat.Jodoo: Jodoo(w, input); break;
            default: Kinetic(w, input); break;
        }
    }

    private static readonly string[] KineticSections = ["space", "kapp", "form", "submission", "team", "user", "discussion", "invitation"];

    /// <summary><c>{ event: {type, action, timestamp}, space, kapp, form, submission, values, user, team }</c>, only what the type carries.</summary>
    private static void Kinetic(Utf8JsonWriter w, PayloadInput i)
    {
        var bindings = EventCatalog.Find(i.Type)?.Bindings ?? [];
        w.WriteStartObject();
        w.WriteStartObject("event");
        w.WriteString("type", i.Type);
        w.WriteString("action", i.Action);
        w.WriteString("timestamp", Timestamp(i.OccurredAt));
        w.WriteEndObject();
        foreach (var name in KineticSections)
        {
            if (!bindings.Contains(name)) continue;
            if (Section(i.Context, name) is { } section)
            {
                w.WritePropertyName(name);
                WriteObjectWithout(w, section, name == "submission" ? "values" : null);
            }
            // The envelope's slugs stand in for kapp and form objects the context left out.
            else if (name == "kapp" && i.Kapp is not null) WriteSlug(w, name, i.Kapp);
            else if (name == "form" && i.Form is not null) WriteSlug(w, name, i.Form);
        }
        if (bindings.Contains("values"))
        {
            w.WritePropertyName("values");
            WriteFields(w, Values(i));
        }
        w.WriteEndObject();
    }

    /// <summary>The portal's event name, <c>user_info</c> and <c>meta_info</c> always; <c>form_info</c> and <c>doc</c> for form events.</summary>
    private static void Portal(Utf8JsonWriter w, PayloadInput i)
    {
        w.WriteStartObject();
        w.WriteString("event", PortalEventName(i.Type, i.Action, i.Webhook.Form ?? i.Form));
        w.WritePropertyName("user_info");
        WriteObjectWithout(w, Section(i.Context, "user"), null);
        w.WriteStartObject("meta_info");
        w.WriteString("event_id", i.JobId.ToString());
        w.WriteString("timestamp", Timestamp(i.OccurredAt));
        WriteValue(w, "space", Member(Section(i.Context, "space"), "slug"));
        w.WriteString("kapp", i.Kapp);
        w.WriteString("type", i.Type);
        w.WriteString("action", i.Action);
        w.WriteEndObject();
        if (EventCatalog.Find(i.Type)?.HasForm == true)
        {
            w.WritePropertyName("form_info");
            WriteObjectWithout(w, Section(i.Context, "form"), "attributes");
            w.WritePropertyName("doc");
            WriteFields(w, Values(i));
        }
        w.WriteEndObject();
    }

    public static string PortalEventName(string type, string action, string? form) => (type, action) switch
    {
        ("User", "Created") => "user_registered",
        ("User", "Login") => "login_success",
        ("User", "Login Failure") => "login_failure",
        ("User", "Logout") => "logout",
        ("User", "Updated") => "edit_user_credentials",
        ("Submission" or "Datastore Submission", "Submitted") => string.IsNullOrEmpty(form) ? "form_submitted" : $"form_submit_{form}",
        ("Submission" or "Datastore Submission", "Preprocess") => string.IsNullOrEmpty(form) ? "form_preprocess" : $"form_preprocess_{form}",
        ("Submission" or "Datastore Submission", "Status Changed") => "status_update",
        _ => Snake(type) + "_" + Snake(action),
    };

    /// <summary>doForms: <c>key</c> (the job id, stable for the job's life), <c>customerKey</c>, <c>submissionKey</c>, <c>webserviceId</c>, <c>event</c>, <c>status</c>, <c>createTime</c>, and the record.</summary>
    private static void Doforms(Utf8JsonWriter w, PayloadInput i)
    {
        var submission = Section(i.Context, "submission");
        w.WriteStartObject();
        w.WriteString("key", i.JobId.ToString());
        WriteValue(w, "customerKey", Member(Section(i.Context, "space"), "slug"));
        WriteValue(w, "submissionKey", Member(submission, "id"));
        w.WriteString("webserviceId", i.Webhook.Id.ToString());
        w.WriteString("event", DoformsEvent(i.Action));
        WriteValue(w, "status", Member(submission, "coreState"));
        if (Member(submission, "createdAt") is { } createdAt) WriteValue(w, "createTime", createdAt);
        else w.WriteString("createTime", Timestamp(i.OccurredAt));
        w.WritePropertyName("record");
        WriteFields(w, Values(i));
        w.WriteEndObject();
    }

    /// <summary>Jodoo: <c>{ op, data }</c>.</summary>
    private static void Jodoo(Utf8JsonWriter w, PayloadInput i)
    {
        var op = JodooOp(i.Type, i.Action);
        var submission = Section(i.Context, "submission");
        var form = Section(i.Context, "form");
        w.WriteStartObject();
        w.WriteString("op", op);
        w.WritePropertyName("data");
        if (op == "form_update")
        {
            WriteObjectWithout(w, form, null);
        }
        else if (op == "data_remove")
        {
            w.WriteStartObject();
            WriteValue(w, "formName", Member(form, "name"));
            WriteValue(w, "_id", Member(submission, "id"));
            if (Section(i.Context, "user") is { } user)
            {
                w.WritePropertyName("deleter");
                user.WriteTo(w);
            }
            else w.WriteNull("deleter");
            w.WriteString("deleteTime", Timestamp(i.OccurredAt));
            w.WriteEndObject();
        }
        else
        {
            // The record's fields, then the submission's own (which replace a field of the same name in place).
            var data = Values(i);
            Set(data, "_id", Field.Of(Member(submission, "id")));
            Set(data, "formName", Field.Of(Member(form, "name")));
            Set(data, "creator", Field.Of(Member(submission, "createdBy")));
            Set(data, "createTime", Field.Of(Member(submission, "createdAt")));
            Set(data, "updateTime", Member(submission, "updatedAt") is { } updated ? Field.Of(updated) : Field.Of(Timestamp(i.OccurredAt)));
            WriteFields(w, data);
        }
        w.WriteEndObject();
    }

    private static string JodooOp(string type, string action) => (type, action) switch
    {
        ("Form" or "Datastore Form", _) => "form_update",
        (_, "Deleted") => "data_remove",
        (_, "Recovered" or "Restored") => "data_recover",
        (_, "Created" or "Submitted") => "data_create",
        _ => "data_update",
    };

    private static string DoformsEvent(string action) => action switch
    {
        "Updated" or "Saved" => "update",
        "Deleted" => "delete",
        "Status Changed" or "Closed" => "status",
        _ => "create",
    };

    /// <summary>One field of an object being written: a value from the context, or a text the builder made.</summary>
    private readonly record struct Field(string Key, JsonElement? Element, string? Text)
    {
        public static Field Of(JsonElement? element) => new(string.Empty, element, null);
        public static Field Of(string text) => new(string.Empty, null, text);
    }

    /// <summary>The submission's values with field aliases applied (an alias replaces the field name; a later field of the same name replaces an earlier one in place).</summary>
    private static List<Field> Values(PayloadInput i)
    {
        var result = new List<Field>();
        var values = Section(i.Context, "submission") is { } submission && Section(submission, "values") is { } inSubmission ? inSubmission
            : Section(i.Context, "values");
        if (values is not { } fields) return result;
        foreach (var property in fields.EnumerateObject())
        {
            var key = i.Webhook.FieldAliases.TryGetValue(property.Name, out var alias) ? alias : property.Name;
            Set(result, key, Field.Of(property.Value));
        }
        return result;
    }

    private static void Set(List<Field> fields, string key, Field value)
    {
        for (var k = 0; k < fields.Count; k++)
        {
            if (fields[k].Key != key) continue;
            fields[k] = value with { Key = key };
            return;
        }
        fields.Add(value with { Key = key });
    }

    private static void WriteFields(Utf8JsonWriter w, List<Field> fields)
    {
        w.WriteStartObject();
        foreach (var field in fields)
        {
            if (field.Element is { } element)
            {
                w.WritePropertyName(field.Key);
                element.WriteTo(w);
            }
            else w.WriteString(field.Key, field.Text);
        }
        w.WriteEndObject();
    }

    /// <summary>A section (an object) of the context, or of another section; null when missing or not an object.</summary>
    private static JsonElement? Section(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    /// <summary>A value of a section; null when the section or the value is missing or JSON null.</summary>
    private static JsonElement? Member(JsonElement? section, string name) =>
        section is { } s && s.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static void WriteValue(Utf8JsonWriter w, string name, JsonElement? value)
    {
        w.WritePropertyName(name);
        if (value is { } v) v.WriteTo(w);
        else w.WriteNullValue();
    }

    /// <summary>An object section as it is, less one property; an empty object when there is none.</summary>
    private static void WriteObjectWithout(Utf8JsonWriter w, JsonElement? section, string? without)
    {
        w.WriteStartObject();
        if (section is { } s)
        {
            foreach (var property in s.EnumerateObject())
            {
                if (without is not null && property.NameEquals(without)) continue;
                property.WriteTo(w);
            }
        }
        w.WriteEndObject();
    }

    private static void WriteSlug(Utf8JsonWriter w, string name, string slug)
    {
        w.WriteStartObject(name);
        w.WriteString("slug", slug);
        w.WriteEndObject();
    }

    private static string Timestamp(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ");

    private static string Snake(string s) => s.ToLowerInvariant().Replace(' ', '_');
}
