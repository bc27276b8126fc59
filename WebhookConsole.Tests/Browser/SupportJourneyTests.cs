using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WebhookConsole.Features.Users;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Browser;

[Collection(BrowserCollection.Name)]
public class SupportJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Support_edits_a_failed_payload_retries_and_sees_it_succeed()
    {
        await using var receiver = await Receiver.StartAsync();
        var fixedIt = false;
        var url = receiver.On("/workflow", async (ctx, _) =>
        {
            // The receiver rejects the payload until it carries the field support staff add.
            var ok = fixedIt && receiver.Requests.Last().Body.Contains("\"approved\":true");
            ctx.Response.StatusCode = ok ? 200 : 422;
            await ctx.Response.WriteAsync(ok ? "{\"run\":77}" : "{\"error\":\"approved is required\"}");
        });
        var kapp = "sup" + Guid.NewGuid().ToString("N")[..8];
        using var api = fixture.CreateApiClient();
        (await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name = "Approval workflow", scope = "Kapp", kapp, type = "Submission", @event = "Submitted", url, signing = new { scheme = "none" },
        })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync("/api/v1/events", new { type = "Submission", action = "Submitted", kapp, context = new { submission = new { id = "s-9", values = new { Room = "B12" } } } })).EnsureSuccessStatusCode();
        await Eventually.WaitAsync(() => Task.FromResult(receiver.To("/workflow").Count), n => n >= 1, TimeSpan.FromSeconds(20), "the first delivery");
        fixedIt = true;

        string email, password;
        await using (var scope = fixture.Factory.Services.CreateAsyncScope())
        {
            email = $"s{Guid.NewGuid():N}"[..12] + "@test.local";
            password = (await scope.ServiceProvider.GetRequiredService<UserService>().CreateAsync(Actor.System, email, "Sam Support", Roles.Support)).Password!;
        }

        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, email, password);
        await page.GotoAsync("/jobs");
        await BrowserFixture.WaitInteractiveAsync(page);
        await page.Locator(".mud-tab", new PageLocatorOptions { HasText = "Failures" }).ClickAsync();
        var row = page.Locator("tr", new PageLocatorOptions { HasText = "Approval workflow" });
        await Assertions.Expect(row).ToContainTextAsync("422");
        await row.Locator("[data-testid=job-link]").ClickAsync();
        await BrowserFixture.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=attempts]")).ToContainTextAsync("approved is required");

        await page.ClickAsync("[data-testid=edit-retry]");
        var editor = page.Locator("[data-testid=edit-body] .view-lines").First;
        await editor.ClickAsync();
        await page.Keyboard.PressAsync("Control+End");
        // Go back over the closing brace and add a field.
        await page.Keyboard.PressAsync("ArrowLeft");
        await page.Keyboard.TypeAsync(",\"approved\":true");
        await Assertions.Expect(page.Locator("[data-testid=edit-diff] [data-diff=added]").First).ToBeVisibleAsync();
        await page.ClickAsync("[data-testid=edit-submit]");

        await Assertions.Expect(page.Locator("[data-testid=job-status]")).ToContainTextAsync("Succeeded", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=attempts]")).ToContainTextAsync("edited retry by " + email);
        Assert.Contains("\"approved\":true", receiver.To("/workflow").Last().Body.Replace(" ", "").Replace("\n", ""));

        await page.GotoAsync("/jobs");
        await BrowserFixture.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("tr", new PageLocatorOptions { HasText = "Approval workflow" })).ToContainTextAsync("Succeeded");
        Directory.CreateDirectory("screenshots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/jobs.png" });
        await page.Context.CloseAsync();
    }
}
