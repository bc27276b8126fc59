using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WebhookConsole.Data;
using WebhookConsole.Features.Inspector;
using WebhookConsole.Features.Users;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Browser;

/// <summary>The trust rules where the UI is the path: in real Chromium, as people would meet them.</summary>
[Collection(BrowserCollection.Name)]
public class TrustJourneyTests(BrowserFixture fixture)
{
    private async Task<(string Email, string Password, string Id)> NewUserAsync(string role)
    {
        await using var scope = fixture.Factory.Services.CreateAsyncScope();
        var email = $"t{Guid.NewGuid():N}"[..12] + "@test.local";
        var created = await scope.ServiceProvider.GetRequiredService<UserService>().CreateAsync(Actor.System, email, "Tess", role);
        var id = (await scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<WebhookConsole.Data.Entities.AppUser>>().FindByEmailAsync(email))!.Id;
        return (email, created.Password!, id);
    }

    /// <summary>A webhook whose receiver always fails, and the failed job of one event.</summary>
    private async Task<(Guid JobId, string Kapp)> FailedJobAsync(Receiver receiver, string path)
    {
        var url = receiver.Status(path, 500, "{\"error\":\"down\"}");
        var kapp = "tr" + Guid.NewGuid().ToString("N")[..8];
        using var api = fixture.CreateApiClient();
        (await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name = "Trust " + kapp, scope = "Kapp", kapp, type = "Submission", @event = "Submitted", url,
            headers = new[] { new { name = "Authorization", value = "Bearer only-for-this-receiver" } }, signing = new { scheme = "none" },
        })).EnsureSuccessStatusCode();
        var reply = await api.PostAsJsonAsync("/api/v1/events", new { type = "Submission", action = "Submitted", kapp, context = new { submission = new { values = new { Room = "B12" } } } });
        var jobId = Guid.Parse(JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["jobs"]![0]!["id"]!.GetValue<string>());
        await Eventually.WaitAsync(() => JobAsync(jobId), j => j.Status == WebhookConsole.Data.Entities.JobStatus.Failed, TimeSpan.FromSeconds(20), "the job to fail");
        return (jobId, kapp);
    }

    private async Task<WebhookConsole.Data.Entities.WebhookJob> JobAsync(Guid id)
    {
        await using var db = await fixture.Factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.WebhookJobs.AsNoTracking().FirstAsync(j => j.Id == id);
    }

    [Fact]
    public async Task Support_cannot_change_a_jobs_host_in_the_edit_dialog()
    {
        await using var receiver = await Receiver.StartAsync();
        var (jobId, _) = await FailedJobAsync(receiver, "/hook");
        var support = await NewUserAsync(Roles.Support);

        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, support.Email, support.Password);
        await page.GotoAsync($"/jobs/{jobId}");
        await BrowserFixture.WaitInteractiveAsync(page);
        await page.ClickAsync("[data-testid=edit-retry]");
        // The origin is shown, not editable; only the path and query are.
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync(receiver.BaseUrl);
        var path = page.Locator("input[data-testid=edit-url], [data-testid=edit-url] input").First;
        await Assertions.Expect(path).ToHaveValueAsync("/hook");
        await path.FillAsync("https://evil.example/steal");
        await path.PressAsync("Tab");
        Directory.CreateDirectory("screenshots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/edit-retry-origin.png" });
        await page.ClickAsync("[data-testid=edit-submit]");
        await Assertions.Expect(page.Locator("[data-testid=attempts]")).ToContainTextAsync("edited retry by " + support.Email, new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

        var job = await JobAsync(jobId);
        Assert.StartsWith(receiver.BaseUrl + "/", job.Url);
        Assert.Equal(receiver.BaseUrl + "/hook", job.OriginalUrl);
        // Still this receiver, at the path typed: the credentials went nowhere else.
        Assert.Contains(receiver.Requests, r => r.Path == "/https://evil.example/steal" && r.Headers["Authorization"] == "Bearer only-for-this-receiver");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_admin_opening_a_crafted_inspector_link_runs_no_script_and_creates_no_api_key()
    {
        var store = fixture.Factory.Services.GetRequiredService<InspectorStore>();
        var bin = "crafted-" + Guid.NewGuid().ToString("N")[..6];
        store.Create(bin, "someone");
        // The most a bin can answer now is text; it used to be any content type, text/html included.
        Assert.Null(store.Configure(bin, new BinResponse(200,
            "<html><body><script>window.pwned = true; fetch('/api-keys');</script><form action='/api-keys'></form></body></html>", BinContent.Text)));
        int Keys()
        {
            using var db = fixture.Factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext();
            return db.ApiKeys.Count();
        }
        var before = Keys();

        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        var response = await page.GotoAsync($"/inspect/{bin}");
        Assert.NotNull(response);
        Assert.Equal("sandbox; default-src 'none'", await response.HeaderValueAsync("content-security-policy"));
        Assert.Equal("nosniff", await response.HeaderValueAsync("x-content-type-options"));
        Assert.StartsWith("text/plain", await response.HeaderValueAsync("content-type"));
        Assert.Equal("undefined", await page.EvaluateAsync<string>("typeof window.pwned"));
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("<script>");

        var unknown = await page.GotoAsync("/inspect/never-made-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(404, unknown!.Status);
        Assert.Equal(before, Keys());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_disabled_users_open_tab_is_refused_at_the_next_click()
    {
        await using var receiver = await Receiver.StartAsync();
        var (jobId, _) = await FailedJobAsync(receiver, "/down");
        var support = await NewUserAsync(Roles.Support);

        var page = await fixture.NewPageAsync();
        await BrowserFixture.SignInAsync(page, support.Email, support.Password);
        await page.GotoAsync($"/jobs/{jobId}");
        await BrowserFixture.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=retry]")).ToBeVisibleAsync();
        var attempts = (await JobAsync(jobId)).AttemptCount;

        await using (var scope = fixture.Factory.Services.CreateAsyncScope())
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<UserService>().SetDisabledAsync(Actor.System, support.Id, true)).Ok);
        }
        await page.ClickAsync("[data-testid=retry]");

        await page.WaitForURLAsync("**/account/login**", new PageWaitForURLOptions { Timeout = 30_000 });
        await Task.Delay(500);
        var job = await JobAsync(jobId);
        Assert.Equal(attempts, job.AttemptCount);
        Assert.Equal(WebhookConsole.Data.Entities.JobStatus.Failed, job.Status);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_pages_work_under_the_content_security_policy()
    {
        var page = await fixture.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Add(message.Text);
            }
        };
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        Directory.CreateDirectory("screenshots");
        foreach (var path in new[] { "/webhooks", "/webhooks/new", "/jobs", "/events/simulate", "/inspector", "/audit" })
        {
            var response = await page.GotoAsync(path);
            Assert.Contains("frame-ancestors 'none'", await response!.HeaderValueAsync("content-security-policy"));
            await BrowserFixture.WaitInteractiveAsync(page);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = $"screenshots/page{path.Replace('/', '-')}.png" });
        }
        // Monaco, the heaviest of them, is up and editable under the policy.
        await page.GotoAsync("/webhooks/new");
        await BrowserFixture.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator(".monaco-editor").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/editor-under-csp.png" });
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        await page.Context.CloseAsync();
    }
    [Fact]
    public async Task The_api_reference_renders_under_the_content_security_policy_from_this_origin_only()
    {
        var page = await fixture.NewPageAsync();
        var violations = new List<string>();
        var elsewhere = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Add(message.Text);
            }
        };
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(fixture.BaseUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal)) elsewhere.Add(request.Url);
        };
        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        await page.GotoAsync("/api-docs");
        // The document is read and its operations listed.
        await Assertions.Expect(page.GetByText("The event types, their actions and bindings").First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        Directory.CreateDirectory("screenshots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/page-api-docs.png" });
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.True(elsewhere.Count == 0, "requests to other origins: " + string.Join(", ", elsewhere));
        await page.Context.CloseAsync();
    }
}
