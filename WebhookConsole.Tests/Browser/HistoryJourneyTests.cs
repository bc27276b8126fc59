using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Browser;

/// <summary>
/// What an event and a job show of their history, as stored compactly: a fired webhook is its job (no outcome
/// row), a filtered-out one is packed on the event, and an attempt keeps its URL only when an edited retry changed it.
/// </summary>
[Collection(BrowserCollection.Name)]
public class HistoryJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task The_event_shows_the_fired_webhook_by_its_job_and_the_job_shows_each_attempts_url()
    {
        await using var receiver = await Receiver.StartAsync();
        var broken = receiver.Status("/hook", 500, "{\"error\":\"down\"}");
        receiver.Status("/hook-fixed", 200);
        var kapp = "hi" + Guid.NewGuid().ToString("N")[..8];
        using var api = fixture.CreateApiClient();
        foreach (var (name, filter) in new[] { ("History fires " + kapp, "true"), ("History skips " + kapp, "false") })
        {
            (await api.PostAsJsonAsync("/api/v1/webhooks", new
            {
                name, scope = "Kapp", kapp, type = "Submission", @event = "Submitted", url = broken, filter, signing = new { scheme = "none" },
            })).EnsureSuccessStatusCode();
        }
        var reply = JsonNode.Parse(await (await api.PostAsJsonAsync("/api/v1/events", new
        {
            type = "Submission", action = "Submitted", kapp, context = new { submission = new { values = new { Room = "B12" } } },
        })).Content.ReadAsStringAsync())!;
        var eventId = reply["eventId"]!.GetValue<string>();
        var jobId = reply["jobs"]![0]!["id"]!.GetValue<string>();
        await Eventually.WaitAsync(async () => JsonNode.Parse(await api.GetStringAsync($"/api/v1/jobs/{jobId}"))!["status"]!.GetValue<string>(),
            s => s == "failed", TimeSpan.FromSeconds(20), "the job to fail");
        // An edited retry to the fixed path: that attempt alone stores a URL.
        (await api.PostAsJsonAsync($"/api/v1/jobs/{jobId}/retry", new { url = receiver.BaseUrl + "/hook-fixed" })).EnsureSuccessStatusCode();
        await Eventually.WaitAsync(async () => JsonNode.Parse(await api.GetStringAsync($"/api/v1/jobs/{jobId}"))!["status"]!.GetValue<string>(),
            s => s == "succeeded", TimeSpan.FromSeconds(20), "the edited retry to succeed");
        var urls = JsonNode.Parse(await api.GetStringAsync($"/api/v1/jobs/{jobId}"))!["attempts"]!.AsArray().Select(a => a!["url"]!.GetValue<string>()).ToList();
        Assert.Equal(broken, urls[0]);
        Assert.Equal(receiver.BaseUrl + "/hook-fixed", urls[^1]);

        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        await page.GotoAsync($"/events/{eventId}");
        await BrowserFixture.WaitInteractiveAsync(page);
        var fired = page.Locator("[data-testid=outcome-row]", new PageLocatorOptions { HasText = "History fires" });
        await Assertions.Expect(fired.Locator("[data-testid=job-link]")).ToContainTextAsync("Job " + jobId[..8]);
        await Assertions.Expect(fired).ToContainTextAsync("Succeeded");
        await Assertions.Expect(page.Locator("[data-testid=outcome-row]", new PageLocatorOptions { HasText = "History skips" })).ToContainTextAsync("filter returned false");
        Directory.CreateDirectory("screenshots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/event-outcomes.png", FullPage = true });

        await fired.Locator("[data-testid=job-link]").ClickAsync();
        await page.WaitForURLAsync($"**/jobs/{jobId}");
        await BrowserFixture.WaitInteractiveAsync(page);
        // The latest attempt is open: the edited URL. The first one, opened, shows the URL it posted to.
        var attempts = page.Locator("[data-testid=attempts]");
        await Assertions.Expect(attempts).ToContainTextAsync("POST " + receiver.BaseUrl + "/hook-fixed");
        await page.Locator("[data-testid=attempt]", new PageLocatorOptions { HasText = "#1" }).ClickAsync();
        await Assertions.Expect(attempts).ToContainTextAsync("POST " + broken);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/job-attempt-urls.png", FullPage = true });
        await page.Context.CloseAsync();
    }
}
