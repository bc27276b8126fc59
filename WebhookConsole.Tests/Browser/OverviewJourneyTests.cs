using System.Net.Http.Json;
using Microsoft.Playwright;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Browser;

/// <summary>The overview after real deliveries: the chart, the failing webhook, and the way from there to its jobs.</summary>
[Collection(BrowserCollection.Name)]
public class OverviewJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task After_deliveries_the_overview_charts_them_and_leads_to_the_failing_webhook()
    {
        await using var receiver = await Receiver.StartAsync();
        var kapp = "ov" + Guid.NewGuid().ToString("N")[..8];
        var failingName = "Overview flaky " + kapp;
        using var api = fixture.CreateApiClient();
        foreach (var (name, url) in new[] { ("Overview steady " + kapp, receiver.Status("/ok", 200)), (failingName, receiver.Status("/down", 503)) })
        {
            (await api.PostAsJsonAsync("/api/v1/webhooks", new
            {
                name, scope = "Kapp", kapp, type = "Submission", @event = "Submitted", url, signing = new { scheme = "none" },
            })).EnsureSuccessStatusCode();
        }
        for (var i = 0; i < 12; i++)
        {
            (await api.PostAsJsonAsync("/api/v1/events", new { type = "Submission", action = "Submitted", kapp, context = new { submission = new { values = new { Seq = i } } } })).EnsureSuccessStatusCode();
        }
        await Eventually.WaitAsync(() => Task.FromResult((receiver.To("/ok").Count, receiver.To("/down").Count)), n => n.Item1 >= 12 && n.Item2 >= 12,
            TimeSpan.FromSeconds(30), "both receivers to get every event");

        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        await page.GotoAsync("/");
        await BrowserFixture.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=delivery-chart] svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=failing-most]")).ToContainTextAsync(failingName);
        await page.ClickAsync("text=Last hour");
        await Assertions.Expect(page.Locator("[data-testid=chart-totals]")).ToContainTextAsync("last hour");
        Directory.CreateDirectory("screenshots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/overview.png", FullPage = true });

        await page.Locator("[data-testid=failing-most] a", new PageLocatorOptions { HasText = failingName }).ClickAsync();
        await page.WaitForURLAsync("**/webhooks/*");
        await BrowserFixture.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=delivery-chart]")).ToContainTextAsync("This webhook's deliveries");
        await Assertions.Expect(page.Locator("[data-testid=delivery-chart] svg").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/webhook-chart.png", FullPage = true });
        await page.Context.CloseAsync();
    }
}
