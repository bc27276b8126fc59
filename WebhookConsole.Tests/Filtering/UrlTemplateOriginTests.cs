using System.Text.Json;
using Microsoft.Extensions.Options;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Filtering;

namespace WebhookConsole.Tests.Filtering;

/// <summary>Where a webhook posts comes from the admins and the platform, never from the person filling in the form.</summary>
public class UrlTemplateOriginTests
{
    private const string KineticExample =
        "${space('attribute:Task Server Scheme')}://${space('attribute:Task Server Host')}/kinetic-task/app/api/v1/run-tree/" +
        "${space('attribute:Task Source Name')}/Submissions%20%3E%20${kapp('slug')}%20%3E%20${form('slug')}/Submitted";

    private readonly JintFilterEvaluator _evaluator = new(Options.Create(new FilteringOptions()));

    private static ScriptBindings Event(string spaceAttributes = """{ "Task Server Scheme": ["https"], "Task Server Host": ["task.acme.example"], "Task Source Name": ["Kinetic Request CE"] }""",
        string room = "evil.example") =>
        ScriptBindings.FromJson("Submission", "Submitted",
            $$"""{ "space": { "slug": "acme", "attributes": {{spaceAttributes}} }, "submission": { "values": { "Host": "{{room}}" } }, "user": { "username": "ann" } }""",
            kapp: "services", form: "cleaning-request");

    private Dictionary<string, string[]> Validate(string url) => new WebhookValidator(_evaluator).Validate(new Webhook
    {
        Name = "w", Scope = WebhookScope.Kapp, Kapp = "services", Type = "Submission", Event = "Submitted", Url = url, SigningScheme = SigningScheme.None,
    });

    [Fact]
    public void Kinetics_documented_task_server_url_saves_and_renders()
    {
        Assert.Empty(Validate(KineticExample));
        var rendered = _evaluator.RenderTemplate(KineticExample, Event());
        Assert.Null(rendered.Error);
        Assert.Equal("https://task.acme.example/kinetic-task/app/api/v1/run-tree/Kinetic%20Request%20CE/Submissions%20%3E%20services%20%3E%20cleaning-request/Submitted", rendered.Value);
    }

    [Theory]
    [InlineData("https://${values('Host')}/hook", 9)]
    [InlineData("https://${user('username')}.example.com/hook", 9)]
    [InlineData("https://example.com${values('Host')}", 20)]
    [InlineData("${values('Host')}/hook", 1)]
    [InlineData("https://${space('attribute:Task Server Host') + values('Host')}/hook", 9)]
    [InlineData("https://${submission('id')}/x", 9)]
    [InlineData("https://${event('kapp')}.example.com/x", 9)]
    [InlineData("https://${(function () { return values('Host'); })()}/x", 9)]
    [InlineData("${values('Scheme')}://example.com/x", 1)]
    public void Submitted_data_in_the_scheme_or_host_is_refused_at_save_with_its_position(string url, int column)
    {
        var errors = Validate(url);
        var message = Assert.Single(Assert.Contains("url", errors));
        Assert.Contains("scheme or host", message);
        Assert.Contains($"column {column}:", message);
    }

    [Theory]
    [InlineData("https://hooks.example.com/${values('Host')}?user=${user('username')}")]
    [InlineData("https://${kapp('slug')}.hooks.example.com/${form('slug')}")]
    [InlineData("${space('attribute:Task Server Scheme')}://${space('attribute:Task Server Host').toLowerCase()}/x")]
    [InlineData("https://hooks.example.com/a#${values('Host')}")]
    public void Submitted_data_in_the_path_query_or_fragment_is_allowed(string url) => Assert.Empty(Validate(url));

    [Fact]
    public void A_value_in_the_path_cannot_reach_the_host()
    {
        var rendered = _evaluator.RenderTemplate("https://hooks.example.com/${values('Host')}", Event(room: "@evil.example/x?y#z"));
        Assert.Equal("https://hooks.example.com/%40evil.example%2Fx%3Fy%23z", rendered.Value);
        Assert.Equal("hooks.example.com", new Uri(rendered.Value!).Host);
    }

    [Fact]
    public void A_stored_template_that_predates_the_rule_does_not_render()
    {
        var rendered = _evaluator.RenderTemplate("https://${values('Host')}/hook", Event());
        Assert.Null(rendered.Value);
        Assert.Contains("scheme or host", rendered.Error!.Message);
    }

    [Theory]
    [InlineData("""{ "Task Server Scheme": ["ftp"], "Task Server Host": ["task.acme.example"], "Task Source Name": ["x"] }""")]
    [InlineData("""{ "Task Server Scheme": ["javascript"], "Task Server Host": ["alert(1)"], "Task Source Name": ["x"] }""")]
    [InlineData("""{ "Task Server Host": ["task.acme.example"] }""")]
    public void A_rendered_scheme_other_than_http_or_https_is_a_clear_error(string attributes)
    {
        var rendered = _evaluator.RenderTemplate(KineticExample, Event(attributes));
        Assert.Null(rendered.Value);
        Assert.Equal(ScriptErrorKind.Template, rendered.Error!.Kind);
        Assert.Contains("http:// or https://", rendered.Error.Message);
    }
}
