using Bunit;
using Bunit.TestDoubles;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Events;
using WebhookConsole.Features.Events;
using WebhookConsole.Filtering;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Events;

public class EventPagesTests : MudTestContext
{
    private readonly TestDatabase _db = new();
    private readonly HeldDeliveryQueue _queue = new();
    private readonly BunitAuthorizationContext _auth;


    public EventPagesTests()
    {
        AddConsoleServices(_db, services => services.AddSingleton<IDeliveryQueue>(_queue));
        _auth = AddAuthorization();
        _auth.SetAuthorized("support@test.local");
        _auth.SetRoles(Roles.Support);
        RenderProviders();
    }

    private void SeedWebhook(string name, string filter)
    {
        using var db = _db.CreateDbContext();
        db.Webhooks.Add(new Webhook
        {
            Id = Guid.NewGuid(), Name = name, NormalizedName = name.ToUpperInvariant(), Scope = WebhookScope.Kapp, Kapp = "services",
            Type = "Submission", Event = "Submitted", Filter = filter, Url = "https://receiver.example/hook", Enabled = true,
            SigningScheme = SigningScheme.None, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, Version = 1,
        });
        db.SaveChanges();
    }

    [Fact]
    public void Simulator_dry_run_shows_each_webhooks_outcome_url_and_payload_and_stores_nothing()
    {
        SeedWebhook("Workflow", "form('attribute:Custom Submission Workflow').indexOf('Submitted') > -1");
        SeedWebhook("Never", "false");
        var cut = Render<SimulatorPage>();
        Assert.Empty(cut.FindAll("[data-testid=sim-for-real]")); // Support: dry runs only

        cut.Find("[data-testid=sim-send]").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=sim-dry-run]")));
        var rows = cut.FindAll("[data-testid=dry-run-row]");
        Assert.Equal(2, rows.Count);
        Assert.Contains("Workflow", rows[1].TextContent + rows[0].TextContent);
        Assert.Contains("https://receiver.example/hook", cut.Markup);
        Assert.Contains("filter returned false", cut.Markup);
        Assert.Empty(_queue.Enqueued);
        using var db = _db.CreateDbContext();
        Assert.Empty(db.Events);
        Assert.Empty(db.WebhookJobs);
    }

    [Fact]
    public async Task Simulator_real_send_is_for_admins_audited_and_marked_simulator()
    {
        SeedWebhook("Workflow", "true");
        var simulator = Services.GetRequiredService<SimulatorService>();
        var (valid, _) = EventValidator.Validate(new EventInput { Type = "Submission", Action = "Submitted", Kapp = "services" }, DateTime.UtcNow);
        var support = new Actor("s", "support@test.local", false, new HashSet<string> { Roles.Support }, new HashSet<string>());
        await Assert.ThrowsAsync<ForbiddenException>(() => simulator.SendAsync(support, valid!));

        _auth.SetRoles(Roles.Admin);
        var cut = Render<SimulatorPage>();
        cut.Find("input[data-testid=sim-for-real], [data-testid=sim-for-real] input").Change(true);
        cut.Find("[data-testid=sim-send]").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=sim-result]")));
        var rows = cut.FindAll("[data-testid=outcome-row]");
        Assert.Contains("Fired", Assert.Single(rows).TextContent);
        Assert.NotNull(rows[0].QuerySelector("[data-testid=job-link]"));
        Assert.StartsWith("/events/", cut.Find("[data-testid=sim-event-link]").GetAttribute("href"));
        Assert.Single(_queue.Enqueued);
        using var db = _db.CreateDbContext();
        Assert.Equal(EventSource.Simulator, Assert.Single(db.Events).Source);
        Assert.Contains(db.AuditEntries, a => a.Action == "sent a simulated event for real");
    }

    [Fact]
    public void Simulator_explains_a_context_that_is_not_json_and_sends_nothing()
    {
        var cut = Render<SimulatorPage>();
        var editor = cut.FindComponent<WebhookConsole.Components.Shared.CodeEditor>();
        cut.InvokeAsync(() => editor.Instance.ValueChanged.InvokeAsync("{ not json"));
        cut.Find("[data-testid=sim-send]").Click();

        cut.WaitForAssertion(() => Assert.Contains("not valid JSON", cut.Find("[data-testid=sim-error]").TextContent));
        using var db = _db.CreateDbContext();
        Assert.Empty(db.Events);
    }

    [Fact]
    public async Task Events_page_lists_events_newest_first_and_filters_by_outcome()
    {
        SeedWebhook("Only B", "values('Room') === 'B12'");
        var processor = Services.GetRequiredService<EventProcessor>();
        foreach (var room in new[] { "A1", "B12" })
        {
            var (valid, _) = EventValidator.Validate(new EventInput
            {
                Type = "Submission", Action = "Submitted", Kapp = "services",
                Context = System.Text.Json.JsonSerializer.SerializeToElement(new { submission = new { values = new { Room = room } } }),
            }, DateTime.UtcNow);
            await processor.ProcessAsync(valid!);
            await Task.Delay(20);
        }

        var cut = Render<EventsPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=event-link]").Count));
        var counts = cut.FindAll("[data-testid=fired-count]").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["1 of 1 fired", "0 of 1 fired"], counts);

        var query = Services.GetRequiredService<EventsQuery>();
        var (fired, total) = await query.ListAsync(new EventFilter(Outcome: OutcomeFilter.Fired));
        Assert.Equal(1, total);
        var (filteredOut, _) = await query.ListAsync(new EventFilter(Outcome: OutcomeFilter.FilterFalse));
        Assert.NotEqual(fired[0].Id, Assert.Single(filteredOut).Id);
    }

    [Fact]
    public void Events_page_has_an_empty_state_pointing_to_the_simulator()
    {
        var cut = Render<EventsPage>();
        cut.WaitForAssertion(() => Assert.Contains("No events yet", cut.Markup));
        Assert.Contains("/events/simulate", cut.Markup);
    }

    protected override Task OnDisposedAsync()
    {
        _db.Dispose();
        return Task.CompletedTask;
    }
}
