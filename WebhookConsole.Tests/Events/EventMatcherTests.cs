using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Filtering;
using WebhookConsole.Catalog;

namespace WebhookConsole.Tests.Events;

public class EventMatcherTests
{
    private readonly EventMatcher _matcher = new(new JintFilterEvaluator(Options.Create(new FilteringOptions())));

    private static Webhook Hook(string type = "Submission", string ev = "Submitted", WebhookScope scope = WebhookScope.Kapp, string kapp = "services",
        string? form = null, bool enabled = true, bool api = false, string filter = "", string url = "https://r.example/x") => new()
    {
        Id = Guid.NewGuid(), Name = "hook", Type = type, Event = ev, Scope = scope, Kapp = scope == WebhookScope.Kapp ? kapp : "",
        Form = form, Enabled = enabled, IncludeApiEvents = api, Filter = filter, Url = url,
    };

    private static ValidEvent Event(string type = "Submission", string action = "Submitted", string? kapp = "services", string? form = "cleaning", EventSource source = EventSource.Ui, JsonObject? context = null) =>
        new(null, EventCatalog.Find(type)!, action, kapp, form, source, DateTime.UtcNow,
            System.Text.Json.JsonSerializer.SerializeToElement(context ?? new JsonObject { ["submission"] = new JsonObject { ["values"] = new JsonObject { ["Room"] = "B12" } } }));

    public static TheoryData<string, Webhook, ValidEvent, bool> ConsiderCases => new()
    {
        { "same type, event, kapp", Hook(), Event(), true },
        { "other action", Hook(), Event(action: "Created"), false },
        { "other type", Hook(type: "Form", ev: "Created"), Event(type: "Submission", action: "Created"), false },
        { "Kapp webhook, other kapp", Hook(kapp: "hr"), Event(kapp: "services"), false },
        { "Kapp webhook, kapp differs only in case", Hook(kapp: "Services"), Event(kapp: "services"), true },
        { "form slug set, same form", Hook(form: "cleaning"), Event(form: "cleaning"), true },
        { "form slug set, other form", Hook(form: "cleaning"), Event(form: "repair"), false },
        { "form slug set, event without form", Hook(form: "cleaning"), Event(form: null), false },
        { "no form slug: every form", Hook(form: null), Event(form: "anything"), true },
        { "Space webhook, space event", Hook(type: "User", ev: "Created", scope: WebhookScope.Space), Event(type: "User", action: "Created", kapp: null, form: null), true },
        { "Space datastore webhook with form", Hook(type: "Datastore Submission", ev: "Submitted", scope: WebhookScope.Space, form: "people"), Event(type: "Datastore Submission", action: "Submitted", kapp: null, form: "people"), true },
        { "disabled webhooks are still considered", Hook(enabled: false), Event(), true },
    };

    [Theory]
    [MemberData(nameof(ConsiderCases))]
    public void Considers_follows_type_event_scope_kapp_and_form(string because, Webhook hook, ValidEvent e, bool expected) =>
        Assert.True(EventMatcher.Considers(hook, e) == expected, because);

    public static TheoryData<string, Webhook, ValidEvent, OutcomeKind> DecideCases => new()
    {
        { "blank filter fires", Hook(), Event(), OutcomeKind.Fired },
        { "true filter fires", Hook(filter: "values('Room') === 'B12'"), Event(), OutcomeKind.Fired },
        { "false filter", Hook(filter: "values('Room') === 'C1'"), Event(), OutcomeKind.FilterFalse },
        { "throwing filter", Hook(filter: "null.x"), Event(), OutcomeKind.FilterError },
        { "endless filter", Hook(filter: "while(true){}"), Event(), OutcomeKind.FilterError },
        { "disabled", Hook(enabled: false), Event(), OutcomeKind.WebhookDisabled },
        { "api source, not opted in", Hook(), Event(source: EventSource.Api), OutcomeKind.SourceNotIncluded },
        { "batch source, not opted in", Hook(), Event(source: EventSource.Batch), OutcomeKind.SourceNotIncluded },
        { "api source, opted in", Hook(api: true), Event(source: EventSource.Api), OutcomeKind.Fired },
        { "system source fires", Hook(), Event(source: EventSource.System), OutcomeKind.Fired },
        { "disabled wins over source", Hook(enabled: false), Event(source: EventSource.Api), OutcomeKind.WebhookDisabled },
        { "URL template that throws", Hook(url: "https://r.example/${null.x}"), Event(), OutcomeKind.UrlTemplateError },
    };

    [Theory]
    [MemberData(nameof(DecideCases))]
    public void Decide_records_why_a_considered_webhook_did_or_did_not_fire(string because, Webhook hook, ValidEvent e, OutcomeKind expected)
    {
        var decision = Assert.Single(_matcher.Decide([hook], e));
        Assert.True(decision.Outcome == expected, $"{because}: got {decision.Outcome} ({decision.Message})");
        if (expected == OutcomeKind.Fired) Assert.Equal(hook.Url, decision.Url);
        else Assert.False(string.IsNullOrWhiteSpace(decision.Message));
    }

    [Fact]
    public void Webhooks_that_are_not_considered_get_no_outcome() =>
        Assert.Empty(_matcher.Decide([Hook(kapp: "hr")], Event()));
}
