using System.Net.Http.Json;
using Microsoft.Playwright;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class EventJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task A_simulated_event_shows_its_outcome_on_the_events_page()
    {
        var kapp = "sim" + Guid.NewGuid().ToString("N")[..8];
        using var api = fixture.CreateApiClient();
        var created = await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name = "Simulated cleaning", scope = "Kapp", kapp, type = "Submission", @event = "Submitted",
            filter = "form('attribute:Custom Submission Workflow').indexOf('Submitted') > -1",
            url = "https://receiver.example/${kapp('slug')}", signing = new { scheme = "none" },
        });
        created.EnsureSuccessStatusCode();

        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        await page.GotoAsync("/events/simulate");
        await BrowserFixture.WaitInteractiveAsync(page);
        await page.Locator("input[data-testid=sim-kapp], [data-testid=sim-kapp] input").First.FillAsync(kapp);
        // A dry run first (the default): the outcome and the URL, nothing stored.
        await page.ClickAsync("[data-testid=sim-send]");
        await Assertions.Expect(page.Locator("[data-testid=sim-dry-run]")).ToContainTextAsync($"https://receiver.example/{kapp}");
        Directory.CreateDirectory("screenshots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/simulator-dry-run.png" });
        await page.Locator("input[data-testid=sim-for-real], [data-testid=sim-for-real] input").First.CheckAsync();
        await page.ClickAsync("[data-testid=sim-send]");

        var result = page.Locator("[data-testid=sim-result]");
        await Assertions.Expect(result.Locator("[data-testid=outcome-row]")).ToContainTextAsync("Fired");
        await Assertions.Expect(result.Locator("[data-testid=outcome-row]")).ToContainTextAsync("Simulated cleaning");

        await page.GotoAsync("/events");
        await BrowserFixture.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=event-link]").First.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/events/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("[data-testid=outcome-row]")).ToContainTextAsync("Simulated cleaning");
        await Assertions.Expect(page.Locator("[data-testid=outcome-kind]")).ToHaveTextAsync("Fired");
        await Assertions.Expect(page.Locator("[data-testid=event-context]")).ToContainTextAsync("\"slug\": \"acme\"");

        await page.Locator("[data-testid=job-link]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=job-url]")).ToHaveTextAsync($"POST https://receiver.example/{kapp}");
        await page.Context.CloseAsync();
    }
}
