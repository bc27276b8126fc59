using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Browser;

/// <summary>
/// axe-core on every page people work in, as they see it (signed in as an admin, with data on the pages): no serious or
/// critical violation of WCAG 2.1 A/AA. And the support journey — Failures, the job, edit and retry — by keyboard alone.
/// </summary>
[Collection(BrowserCollection.Name)]
public class AccessibilityTests(BrowserFixture fixture)
{
    private static readonly AxeRunOptions Options = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    };

    /// <summary>A webhook, an event and a failed job, so the lists and details have rows to scan.</summary>
    private async Task<(string WebhookId, string EventId, string JobId)> SeedAsync(Receiver receiver)
    {
        var kapp = "ax" + Guid.NewGuid().ToString("N")[..8];
        using var api = fixture.CreateApiClient();
        var created = JsonNode.Parse(await (await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name = "Accessible " + kapp, scope = "Kapp", kapp, type = "Submission", @event = "Submitted",
            url = receiver.Status("/down", 500, "{\"error\":\"down\"}"), signing = new { scheme = "none" },
        })).Content.ReadAsStringAsync())!;
        var reply = JsonNode.Parse(await (await api.PostAsJsonAsync("/api/v1/events", new
        {
            type = "Submission", action = "Submitted", kapp, context = new { submission = new { values = new { Room = "B12" } } },
        })).Content.ReadAsStringAsync())!;
        var jobId = reply["jobs"]![0]!["id"]!.GetValue<string>();
        await Eventually.WaitAsync(async () => JsonNode.Parse(await api.GetStringAsync($"/api/v1/jobs/{jobId}"))!["status"]!.GetValue<string>(),
            s => s == "failed", TimeSpan.FromSeconds(20), "the job to fail");
        return (created["id"]!.GetValue<string>(), reply["eventId"]!.GetValue<string>(), jobId);
    }

    [Fact]
    public async Task Every_page_has_no_serious_or_critical_accessibility_violation()
    {
        await using var receiver = await Receiver.StartAsync();
        var (webhookId, eventId, jobId) = await SeedAsync(receiver);
        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        var pages = new[]
        {
            "/", "/webhooks", "/webhooks/new", $"/webhooks/{webhookId}", "/jobs", $"/jobs/{jobId}", "/events", $"/events/{eventId}",
            "/events/simulate", "/inspector", "/users", "/api-keys", "/audit", "/account/change-password",
        };
        var found = new List<string>();
        foreach (var path in pages)
        {
            await page.GotoAsync(path);
            // The account pages are plain forms (static rendering); the others wait for their circuit.
            if (!path.StartsWith("/account", StringComparison.Ordinal)) await BrowserFixture.WaitInteractiveAsync(page);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var result = await page.RunAxe(Options);
            foreach (var v in result.Violations.Where(v => v.Impact is "serious" or "critical"))
            {
                found.Add($"{path}: {v.Id} ({v.Impact}) on {v.Nodes.Length} element(s), e.g. {string.Join(" | ", v.Nodes.Take(2).Select(n => n.Html))}");
            }
        }
        Assert.True(found.Count == 0, $"{found.Count} serious or critical violations:\n" + string.Join("\n", found));
        await page.Context.CloseAsync();
    }

    /// <summary>Presses Tab until the focused element is inside <paramref name="selector"/>; fails if it never gets there.</summary>
    private static async Task TabToAsync(IPage page, string selector, int max = 150, string? text = null)
    {
        for (var i = 0; i < max; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("([s, t]) => { const e = document.activeElement?.closest(s); return !!e && (!t || e.textContent.includes(t)); }",
                new object?[] { selector, text })) return;
        }
        var html = await page.EvaluateAsync<string?>("s => document.querySelector(s)?.outerHTML?.slice(0, 300)", selector);
        Assert.Fail($"{selector} could not be reached with the Tab key in {max} presses: {html}");
    }

    [Fact]
    public async Task The_support_journey_works_with_the_keyboard_alone()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Status("/fixed", 200);
        var (_, _, jobId) = await SeedAsync(receiver);
        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        await page.GotoAsync("/jobs");
        await BrowserFixture.WaitInteractiveAsync(page);

        // Failures: Tab reaches the tab list (its selected tab), the arrow keys move along it (the ARIA tabs pattern).
        await TabToAsync(page, "[role=tab]");
        // (The tab headers re-render as their counts refresh; a key pressed during that is pressed again.)
        for (var i = 0; i < 6 && !(await page.EvaluateAsync<string>("() => document.activeElement?.textContent ?? ''")).Contains("Failures"); i++)
        {
            if (!await page.EvaluateAsync<bool>("() => document.activeElement?.getAttribute('role') === 'tab'")) await TabToAsync(page, "[role=tab]");
            await page.Keyboard.PressAsync("ArrowRight");
            await Task.Delay(200);
        }
        Assert.Contains("Failures", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Failures" })).ToHaveAttributeAsync("aria-selected", "true");
        // The failed job, from its row's link.
        await TabToAsync(page, $"a[href='/jobs/{jobId}']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"**/jobs/{jobId}");
        await BrowserFixture.WaitInteractiveAsync(page);

        // Edit and retry: the dialog, the URL's path changed by typing, submitted by keyboard.
        await TabToAsync(page, "[data-testid=edit-retry]");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[data-testid=edit-url] input, input[data-testid=edit-url]").First).ToBeVisibleAsync();
        // The dialog holds the focus: Tab stays inside it until the URL field.
        await TabToAsync(page, "[data-testid=edit-url]", max: 30);
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("/fixed");
        // The body's editor: Tab indents there, and Ctrl+M (as the page says) lets Tab move on.
        await TabToAsync(page, ".monaco-editor", max: 30);
        await page.Keyboard.PressAsync("Control+M");
        await TabToAsync(page, "[data-testid=edit-submit]", max: 30);
        await page.Keyboard.PressAsync("Enter");

        using var api = fixture.CreateApiClient();
        var job = await Eventually.WaitAsync(async () => JsonNode.Parse(await api.GetStringAsync($"/api/v1/jobs/{jobId}"))!,
            j => j["status"]!.GetValue<string>() == "succeeded", TimeSpan.FromSeconds(20), "the edited retry to deliver");
        Assert.EndsWith("/fixed", job["url"]!.GetValue<string>());
        Assert.Equal("edited", job["attempts"]!.AsArray()[^1]!["trigger"]!.GetValue<string>());
        await page.Context.CloseAsync();
    }
}
