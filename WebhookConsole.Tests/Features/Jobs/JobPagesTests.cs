using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using WebhookConsole.Auditing;
using WebhookConsole.Components.Shared;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Filtering;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Jobs;

/// <summary>The jobs console's pages on a database of each provider (a class per provider below).</summary>
public abstract class JobPagesTests : MudTestContext
{
    private readonly ITestDatabase _db;
    private readonly TestDurableLane _durable = new();
    private readonly Guid _webhookId = Guid.NewGuid();

    protected JobPagesTests(ITestDatabase database)
    {
        _db = database;
        AddConsoleServices(_db, services =>
        {
            _durable.Register(services);
            services.AddSingleton<IActorDirectory>(new FixedActors(
                new Actor("support-1", "support@test.local", false, new HashSet<string> { Roles.Support }, new HashSet<string>())));
        });
        var auth = AddAuthorization();
        auth.SetAuthorized("support@test.local");
        auth.SetRoles(Roles.Support);
        auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, "support-1"));
        RenderProviders();

        using var db = _db.CreateDbContext();
        db.Webhooks.Add(new Webhook { Id = _webhookId, Name = "Orders", NormalizedName = "ORDERS", Type = "Submission", Event = "Submitted", Scope = WebhookScope.Kapp, Kapp = "k", Url = "https://r.example", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow });
        var now = DateTime.UtcNow;
        foreach (var (status, minutes) in new[] { (JobStatus.Succeeded, 5), (JobStatus.Failed, 4), (JobStatus.Pending, 3), (JobStatus.Received, 2), (JobStatus.Failed, 1) })
        {
            db.WebhookJobs.Add(new WebhookJob
            {
                Id = Guid.CreateVersion7(), WebhookId = _webhookId, WebhookName = "Orders", EventType = "Submission", EventAction = "Submitted",
                Url = "https://r.example/" + status, RequestBody = $"{{\"status\":\"{status}\"}}", Status = status, Summary = status == JobStatus.Failed ? "500 Internal Server Error" : "200 OK",
                AttemptCount = 1, LastStatusCode = status == JobStatus.Failed ? 500 : 200, CreatedAt = now.AddMinutes(-minutes), UpdatedAt = now,
            });
        }
        db.SaveChanges();
    }

    [Fact]
    public async Task Tabs_show_counts_and_each_lists_its_jobs_newest_first()
    {
        var cut = Render<JobsPage>();
        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("[data-testid=job-link]").Count));
        Assert.Contains("All History (5)", cut.Markup);
        Assert.Contains("Failures (2)", cut.Markup);
        Assert.Contains("Pending (2)", cut.Markup);

        // Found and clicked in one go on the renderer: the counts may render again in between (bUnit's advice).
        await cut.InvokeAsync(() => cut.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Failures")).Click());
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=job-link]").Count));
        Assert.All(cut.FindAll("[data-testid=job-summary]"), s => Assert.Contains("500", s.TextContent));

        await cut.InvokeAsync(() => cut.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Pending")).Click());
        cut.WaitForAssertion(() => Assert.Equal(["Received", "Pending"], cut.FindAll("[data-testid=job-status-chip]").Select(c => c.TextContent.Trim())));
    }

    [Fact]
    public async Task Retry_all_failures_runs_in_the_background_and_reports_progress()
    {
        var cut = Render<JobsPage>();
        _durable.StartServer(Services);
        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("[data-testid=job-link]").Count));
        await cut.InvokeAsync(() => cut.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Failures")).Click());
        cut.WaitForAssertion(() => cut.Find("[data-testid=retry-all]"));
        var provider = Render<MudDialogProvider>();
        cut.Find("[data-testid=retry-all]").Click();
        provider.WaitForAssertion(() => provider.FindAll("button").Single(b => b.TextContent.Trim() == "Retry").Click());

        cut.WaitForAssertion(() => Assert.Contains("2 job(s) — done", cut.Find("[data-testid=bulk-operation]").TextContent), TimeSpan.FromSeconds(20));
        using var db = _db.CreateDbContext();
        Assert.Equal(0, db.WebhookJobs.Count(j => j.Status == JobStatus.Failed));
        Assert.Equal(2, db.WebhookJobs.Count(j => j.PendingTrigger == AttemptTrigger.Manual && j.PendingTriggeredBy == "support@test.local"));
    }

    [Fact]
    public void An_attempt_the_console_was_stopped_during_reads_as_outcome_unknown_not_as_an_error()
    {
        var id = Guid.CreateVersion7();
        var now = DateTime.UtcNow;
        using (var db = _db.CreateDbContext())
        {
            db.WebhookJobs.Add(new WebhookJob
            {
                Id = id, WebhookId = _webhookId, WebhookName = "Orders", EventType = "Submission", EventAction = "Submitted", Url = "https://r.example/x",
                RequestBody = "{\"n\":1}", Status = JobStatus.Succeeded, Summary = "200 OK", AttemptCount = 2, LastStatusCode = 200, CreatedAt = now, UpdatedAt = now, CompletedAt = now,
                Attempts =
                [
                    new JobAttempt { Number = 1, StartedAt = now.AddSeconds(-30), Url = "https://r.example/x", RequestBody = "{\"n\":1}",
                        ErrorKind = AttemptErrorKind.Interrupted, Error = WebhookConsole.Dispatching.Ledger.DeliveryStore.InterruptedError },
                    new JobAttempt { Number = 2, StartedAt = now, Url = "https://r.example/x", RequestBody = "{\"n\":1}", StatusCode = 200, DurationMs = 4 },
                ],
            });
            db.SaveChanges();
        }
        var cut = Render<JobDetailPage>(p => p.Add(x => x.Id, id));
        cut.WaitForAssertion(() => Assert.Equal(["200", "outcome unknown"], cut.FindAll("[data-testid=attempt-outcome]").Select(c => c.TextContent.Trim())));
        var unknown = cut.FindAll("[data-testid=attempt-outcome]")[1];
        Assert.Contains("mud-chip-color-warning", unknown.ClassName);
        Assert.Contains("the receiver may have received it", cut.Markup);
    }

    [Fact]
    public void The_text_filter_narrows_the_list()
    {
        var cut = Render<JobsPage>();
        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("[data-testid=job-link]").Count));
        cut.Find("input[data-testid=filter-text], [data-testid=filter-text] input").Input("Received");
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=job-link]")), TimeSpan.FromSeconds(5));
    }

    protected override Task OnDisposedAsync()
    {
        _durable.Dispose();
        _db.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class JobPagesTestsOnSqlite() : JobPagesTests(new TestDatabase());

public sealed class JobPagesTestsOnPostgres() : JobPagesTests(new PostgresTestDatabase());

/// <summary>The edit-and-retry dialog on its own: what it hands back to the page that opened it.</summary>
public sealed class EditRetryDialogTests : MudTestContext
{
    public EditRetryDialogTests() => RenderProviders();

    [Fact]
    public async Task Edit_dialog_refuses_invalid_json_and_shows_the_difference()
    {
        var cut = Render<MudDialogProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        IDialogReference? dialog = null;
        await cut.InvokeAsync(async () => dialog = await dialogs.ShowAsync<EditRetryDialog>("Edit",
            new DialogParameters<EditRetryDialog> { { d => d.Url, "https://r.example/x" }, { d => d.Body, "{\"a\":1}" } }));

        var editor = cut.FindComponent<CodeEditor>();
        await cut.InvokeAsync(() => editor.Instance.ValueChanged.InvokeAsync("{\"a\": 1, \"b\": "));
        cut.Find("[data-testid=edit-submit]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Not valid JSON", cut.Find("[data-testid=edit-body-error]").TextContent));
        Assert.False(dialog!.Result.IsCompleted);

        await cut.InvokeAsync(() => editor.Instance.ValueChanged.InvokeAsync("{\"a\": 1, \"b\": 2}"));
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("[data-diff=added]"), line => line.TextContent.Contains("\"b\": 2")));
        cut.Find("[data-testid=edit-submit]").Click();
        var result = await dialog.Result;
        var edit = Assert.IsType<RetryRequest>(result!.Data);
        Assert.Null(edit.Url);
        Assert.Equal("{\"a\": 1, \"b\": 2}", edit.Body);
    }

    [Fact]
    public async Task Edit_dialog_retries_with_the_text_in_the_editor_even_if_its_last_change_has_not_reached_the_server()
    {
        // The editor holds text whose change event is still on its way: the click must not send the older body.
        JSInterop.Setup<string>("blazorMonaco.editor.getValue", _ => true).SetResult("{\"a\": 1, \"typed\": \"last\"}");
        var cut = Render<MudDialogProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        IDialogReference? dialog = null;
        await cut.InvokeAsync(async () => dialog = await dialogs.ShowAsync<EditRetryDialog>("Edit",
            new DialogParameters<EditRetryDialog> { { d => d.Url, "https://r.example/x" }, { d => d.Body, "{\"a\":1}" } }));

        cut.Find("[data-testid=edit-submit]").Click();
        var edit = Assert.IsType<RetryRequest>((await dialog!.Result)!.Data);
        Assert.Equal("{\"a\": 1, \"typed\": \"last\"}", edit.Body);
    }

    [Fact]
    public void Line_diff_marks_removed_and_added_lines() =>
        Assert.Equal([(' ', "a"), ('-', "b"), ('+', "B"), (' ', "c"), ('+', "d")], LineDiff.Compute(["a", "b", "c"], ["a", "B", "c", "d"]));
}

/// <summary>The people a durable job may act for, as fixed for a test.</summary>
internal sealed class FixedActors(params WebhookConsole.Security.Actor[] actors) : WebhookConsole.Security.IActorDirectory
{
    public Task<WebhookConsole.Security.Actor?> FindUserAsync(string userId) => Task.FromResult(actors.FirstOrDefault(a => a.Id == userId));
}
