using System.Net.Http.Json;
using Microsoft.Playwright;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Browser;

/// <summary>"Retry all failures" runs on the durable lane (a Hangfire job on SQLite) and reports back to the page.</summary>
[Collection(BrowserCollection.Name)]
public class BulkJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task An_admin_retries_all_failures_and_watches_the_operation_finish()
    {
        await using var receiver = await Receiver.StartAsync();
        var up = false;
        var url = receiver.On("/bulk", (ctx, _) =>
        {
            ctx.Response.StatusCode = up ? 200 : 503;
            return Task.CompletedTask;
        });
        var kapp = "bulk" + Guid.NewGuid().ToString("N")[..8];
        using var api = fixture.CreateApiClient();
        (await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name = "Nightly export", scope = "Kapp", kapp, type = "Submission", @event = "Submitted", url, signing = new { scheme = "none" },
        })).EnsureSuccessStatusCode();
        for (var i = 0; i < 3; i++)
        {
            (await api.PostAsJsonAsync("/api/v1/events", new { type = "Submission", action = "Submitted", kapp, context = new { submission = new { id = $"b-{i}" } } })).EnsureSuccessStatusCode();
        }
        await Eventually.WaitAsync(() => Task.FromResult(receiver.To("/bulk").Count), n => n >= 3, TimeSpan.FromSeconds(20), "the three failed deliveries");
        up = true;

        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        await page.GotoAsync("/jobs");
        await BrowserFixture.WaitInteractiveAsync(page);
        await page.Locator(".mud-tab", new PageLocatorOptions { HasText = "Failures" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr", new PageLocatorOptions { HasText = "Nightly export" }).First).ToContainTextAsync("503");
        await page.ClickAsync("[data-testid=retry-all]");
        await page.Locator(".mud-dialog button", new PageLocatorOptions { HasText = "Retry" }).ClickAsync();

        await Assertions.Expect(page.Locator("[data-testid=bulk-operation]").First).ToContainTextAsync("— done", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
        await Eventually.WaitAsync(() => Task.FromResult(receiver.To("/bulk").Count), n => n >= 6, TimeSpan.FromSeconds(20), "the three retries to arrive");
        await page.ReloadAsync();
        await BrowserFixture.WaitInteractiveAsync(page);
        // The operation is read from the Hangfire file, so it is still listed after a reload.
        await Assertions.Expect(page.Locator("[data-testid=bulk-operation]").First).ToContainTextAsync("by " + ConsoleFactory.AdminEmail);
        Directory.CreateDirectory("screenshots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/bulk-retry.png" });
        await page.Context.CloseAsync();
    }
}
