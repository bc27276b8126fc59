using System.Text.Json;
using System.Text.Json.Nodes;
using WebhookConsole.Data.Entities;
using WebhookConsole.Payloads;

namespace WebhookConsole.Tests.Payloads;

/// <summary>Every format against golden JSON: the body shape receivers are written against.</summary>
public class PayloadBuilderTests
{
    private static readonly Guid JobId = Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    private static readonly Guid WebhookId = Guid.Parse("0190a1b2-0000-7000-8000-000000000001");
    private static readonly DateTime At = new(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc);

    private static JsonObject SubmissionContext() => JsonNode.Parse("""
        {
          "space": { "slug": "acme", "name": "ACME" },
          "kapp": { "slug": "services", "name": "Services" },
          "form": { "slug": "cleaning-request", "name": "Cleaning Request", "attributes": { "Owner": ["Facilities"] } },
          "submission": { "id": "s-1", "coreState": "Submitted", "createdBy": "ann", "createdAt": "2026-11-22T09:58:00Z", "updatedAt": "2026-11-22T10:00:00Z",
                          "values": { "Room": "B12", "Requested For": "ann" } },
          "user": { "username": "ann", "email": "ann@acme.example" }
        }
        """)!.AsObject();

    private static PayloadInput Input(PayloadFormat format, string type = "Submission", string action = "Submitted", JsonObject? context = null, string? webhookForm = null, Dictionary<string, string>? aliases = null) =>
        new(JobId, new Webhook { Id = WebhookId, PayloadFormat = format, Form = webhookForm, FieldAliases = aliases ?? [] }, type, action, "services", "cleaning-request", At,
            JsonSerializer.SerializeToElement(context ?? SubmissionContext()));

    private static void AssertJson(string expected, string actual) =>
        Assert.Equal(JsonNode.Parse(expected)!.ToJsonString(), JsonNode.Parse(actual)!.ToJsonString());

    [Fact]
    public void Kinetic_carries_the_event_and_what_the_type_has() => AssertJson("""
        {
          "event": { "type": "Submission", "action": "Submitted", "timestamp": "2026-11-22T10:00:00.000Z" },
          "space": { "slug": "acme", "name": "ACME" },
          "kapp": { "slug": "services", "name": "Services" },
          "form": { "slug": "cleaning-request", "name": "Cleaning Request", "attributes": { "Owner": ["Facilities"] } },
          "submission": { "id": "s-1", "coreState": "Submitted", "createdBy": "ann", "createdAt": "2026-11-22T09:58:00Z", "updatedAt": "2026-11-22T10:00:00Z" },
          "user": { "username": "ann", "email": "ann@acme.example" },
          "values": { "Room": "B12", "Requested For": "ann" }
        }
        """, PayloadBuilder.Build(Input(PayloadFormat.Kinetic)));

    [Fact]
    public void Kinetic_leaves_out_what_a_type_does_not_carry() => AssertJson("""
        {
          "event": { "type": "User", "action": "Created", "timestamp": "2026-11-22T10:00:00.000Z" },
          "space": { "slug": "acme", "name": "ACME" },
          "user": { "username": "ann", "email": "ann@acme.example" }
        }
        """, PayloadBuilder.Build(Input(PayloadFormat.Kinetic, "User", "Created")));

    [Fact]
    public void Portal_form_event_for_one_form_has_user_meta_form_info_and_doc() => AssertJson("""
        {
          "event": "form_submit_cleaning-request",
          "user_info": { "username": "ann", "email": "ann@acme.example" },
          "meta_info": { "event_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "timestamp": "2026-11-22T10:00:00.000Z", "space": "acme", "kapp": "services", "type": "Submission", "action": "Submitted" },
          "form_info": { "slug": "cleaning-request", "name": "Cleaning Request" },
          "doc": { "Room": "B12", "Requested For": "ann" }
        }
        """, PayloadBuilder.Build(Input(PayloadFormat.Portal, webhookForm: "cleaning-request")));

    [Fact]
    public void Portal_user_event_always_has_user_and_meta_info() => AssertJson("""
        {
          "event": "user_registered",
          "user_info": { "username": "ann", "email": "ann@acme.example" },
          "meta_info": { "event_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "timestamp": "2026-11-22T10:00:00.000Z", "space": "acme", "kapp": "services", "type": "User", "action": "Created" }
        }
        """, PayloadBuilder.Build(Input(PayloadFormat.Portal, "User", "Created")));

    [Theory]
    [InlineData("User", "Login", null, "login_success")]
    [InlineData("Submission", "Submitted", null, "form_submitted")]
    [InlineData("Submission", "Submitted", "intake", "form_submit_intake")]
    [InlineData("Team", "Membership Change", null, "team_membership_change")]
    public void Portal_event_names(string type, string action, string? form, string expected) =>
        Assert.Equal(expected, PayloadBuilder.PortalEventName(type, action, form));

    [Fact]
    public void Doforms_has_a_stable_key_and_the_record() => AssertJson("""
        {
          "key": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
          "customerKey": "acme",
          "submissionKey": "s-1",
          "webserviceId": "0190a1b2-0000-7000-8000-000000000001",
          "event": "create",
          "status": "Submitted",
          "createTime": "2026-11-22T09:58:00Z",
          "record": { "Room": "B12", "Requested For": "ann" }
        }
        """, PayloadBuilder.Build(Input(PayloadFormat.Doforms)));

    [Theory]
    [InlineData("Updated", "update")]
    [InlineData("Deleted", "delete")]
    [InlineData("Status Changed", "status")]
    [InlineData("Created", "create")]
    public void Doforms_event_names(string action, string expected) =>
        Assert.Equal(expected, JsonNode.Parse(PayloadBuilder.Build(Input(PayloadFormat.Doforms, action: action)))!["event"]!.GetValue<string>());

    [Fact]
    public void Jodoo_data_create() => AssertJson("""
        { "op": "data_create", "data": { "Room": "B12", "Requested For": "ann", "_id": "s-1", "formName": "Cleaning Request", "creator": "ann",
                                         "createTime": "2026-11-22T09:58:00Z", "updateTime": "2026-11-22T10:00:00Z" } }
        """, PayloadBuilder.Build(Input(PayloadFormat.Jodoo, action: "Created")));

    [Fact]
    public void Jodoo_data_remove() => AssertJson("""
        { "op": "data_remove", "data": { "formName": "Cleaning Request", "_id": "s-1", "deleter": { "username": "ann", "email": "ann@acme.example" }, "deleteTime": "2026-11-22T10:00:00.000Z" } }
        """, PayloadBuilder.Build(Input(PayloadFormat.Jodoo, action: "Deleted")));

    [Theory]
    [InlineData("Submission", "Updated", "data_update")]
    [InlineData("Submission", "Recovered", "data_recover")]
    [InlineData("Form", "Updated", "form_update")]
    public void Jodoo_ops(string type, string action, string op) =>
        Assert.Equal(op, JsonNode.Parse(PayloadBuilder.Build(Input(PayloadFormat.Jodoo, type, action)))!["op"]!.GetValue<string>());

    [Theory]
    [InlineData(PayloadFormat.Kinetic, "values")]
    [InlineData(PayloadFormat.Portal, "doc")]
    [InlineData(PayloadFormat.Doforms, "record")]
    [InlineData(PayloadFormat.Jodoo, "data")]
    public void Field_aliases_replace_field_names_in_every_format(PayloadFormat format, string valuesKey)
    {
        var body = JsonNode.Parse(PayloadBuilder.Build(Input(format, aliases: new() { ["Requested For"] = "requested_for", ["Room"] = "room" })))!;
        var values = body[valuesKey]!.AsObject();
        Assert.Equal("ann", values["requested_for"]!.GetValue<string>());
        Assert.Equal("B12", values["room"]!.GetValue<string>());
        Assert.False(values.ContainsKey("Requested For"));
        Assert.False(values.ContainsKey("Room"));
    }

    [Fact]
    public void Building_does_not_change_the_event_context()
    {
        var context = SubmissionContext();
        var before = context.ToJsonString();
        PayloadBuilder.Build(Input(PayloadFormat.Kinetic, context: context));
        PayloadBuilder.Build(Input(PayloadFormat.Portal, context: context));
        Assert.Equal(before, context.ToJsonString());
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(before).RootElement.ValueKind);
    }
}
