using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Features.Overview;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Overview;

/// <summary>The overview page and the per-minute counts behind it, on a database of each provider (a class per provider below).</summary>
public abstract class OverviewPageTests : MudTestContext
{
    private readonly ITestDatabase _db;
    private readonly BunitAuthorizationContext _auth;
    private readonly Guid _steady = Guid.NewGuid();
    private readonly Guid _flaky = Guid.NewGuid();

    protected OverviewPageTests(ITestDatabase database)
    {
        _db = database;
        AddConsoleServices(_db);
        _auth = AddAuthorization();
        _auth.SetAuthorized("admin@test.local");
        _auth.SetRoles(Roles.Admin);
        RenderProviders();
    }

    protected override Task OnDisposedAsync()
    {
        _db.Dispose();
        return Task.CompletedTask;
    }

    private static WebhookJob Job(Guid webhookId, JobStatus status, bool isTest = false) => new()
    {
        Id = Guid.CreateVersion7(), WebhookId = webhookId, Status = status, IsTest = isTest, CreatedAt = DateTime.UtcNow,
    };

    /// <summary>Attempts as the recorder counts them, through the same tally and upsert, in two transactions.</summary>
    private async Task RecordAsync(DateTime at, params WebhookJob[] jobs)
    {
        foreach (var half in new[] { jobs.Take(jobs.Length / 2), jobs.Skip(jobs.Length / 2) })
        {
            var tally = new MinuteTally();
            foreach (var job in half) tally.Count(job, at);
            await using var db = await _db.CreateDbContextAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            await tally.WriteAsync(db);
            await tx.CommitAsync();
        }
    }

    private void SeedWebhooks()
    {
        using var db = _db.CreateDbContext();
        foreach (var (id, name) in new[] { (_steady, "Steady <b>receiver</b>"), (_flaky, "Flaky receiver") })
        {
            db.Webhooks.Add(new Webhook
            {
                Id = id, Name = name, NormalizedName = name.ToUpperInvariant(), Scope = WebhookScope.Kapp, Kapp = "services",
                Type = "Submission", Event = "Submitted", Url = "https://receiver.example/hook", Enabled = id == _steady,
                SigningScheme = SigningScheme.None, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, Version = 1,
            });
        }
        db.Notifications.Add(new Notification { At = DateTime.UtcNow, Kind = NotificationKind.WebhookDisabled, Title = "Webhook disabled: Flaky receiver", Message = "100 consecutive failed deliveries", WebhookId = _flaky });
        db.SaveChanges();
    }

    [Fact]
    public async Task Counts_of_the_same_minute_add_up_across_transactions_and_tests_are_left_out()
    {
        var at = DateTime.UtcNow;
        await RecordAsync(at, Job(_steady, JobStatus.Succeeded), Job(_steady, JobStatus.Received), Job(_steady, JobStatus.Pending),
            Job(_steady, JobStatus.Failed), Job(_steady, JobStatus.Succeeded, isTest: true), Job(_flaky, JobStatus.Pending));
        await using var db = await _db.CreateDbContextAsync();
        var rows = db.DeliveryMinutes.OrderBy(m => m.WebhookId == _steady ? 0 : 1).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal((DeliveryMinute.MinuteOf(at), 2, 1, 1), (rows[0].Minute, rows[0].Succeeded, rows[0].Failed, rows[0].Retried));
        Assert.Equal((0, 0, 1), (rows[1].Succeeded, rows[1].Failed, rows[1].Retried));
    }

    [Fact]
    public async Task The_overview_shows_the_days_figures_the_backlog_the_failing_webhooks_and_the_notifications()
    {
        SeedWebhooks();
        var now = DateTime.UtcNow;
        await RecordAsync(now.AddMinutes(-1), Job(_steady, JobStatus.Succeeded), Job(_steady, JobStatus.Succeeded), Job(_flaky, JobStatus.Pending));
        await RecordAsync(now.AddHours(-3), Job(_steady, JobStatus.Succeeded), Job(_flaky, JobStatus.Failed), Job(_flaky, JobStatus.Pending));
        await RecordAsync(now.AddHours(-30), Job(_flaky, JobStatus.Failed), Job(_flaky, JobStatus.Failed)); // outside the day
        await using (var db = await _db.CreateDbContextAsync())
        {
            // Two jobs waiting: one overdue by five minutes, one not yet due.
            foreach (var due in new[] { now.AddMinutes(-5), now.AddMinutes(10) })
            {
                var job = Job(_steady, JobStatus.Pending);
                job.WebhookName = "Steady"; job.EventType = "Submission"; job.EventAction = "Submitted"; job.Url = "https://receiver.example/hook"; job.RequestBody = "{}";
                job.NextAttemptAt = due; job.UpdatedAt = now;
                db.WebhookJobs.Add(job);
            }
            await db.SaveChangesAsync();
        }

        var cut = Render<OverviewPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stat-delivered]")));
        Assert.Contains("3", cut.Find("[data-testid=stat-delivered] .mud-typography-h5").TextContent);
        Assert.Contains("50.0", cut.Find("[data-testid=stat-delivered]").TextContent); // 3 of 6 attempts
        Assert.Contains("1 failed", cut.Find("[data-testid=stat-failed]").TextContent);
        Assert.Contains("2 attempts failed and were retried", cut.Find("[data-testid=stat-failed]").TextContent);
        Assert.Contains("2", cut.Find("[data-testid=stat-pending] .mud-typography-h5").TextContent);
        Assert.Contains("5 min", cut.Find("[data-testid=stat-oldest-due]").TextContent);

        // The chart: a bar series per outcome, the day's totals under it.
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=chart-totals]")));
        Assert.Contains("3 delivered · 2 retried · 1 failed", cut.Find("[data-testid=chart-totals]").TextContent);
        Assert.NotEmpty(cut.FindAll("[data-testid=delivery-chart] svg"));

        var failing = cut.Find("[data-testid=failing-most]");
        Assert.Contains("Flaky receiver", failing.TextContent);
        Assert.Contains("disabled", failing.TextContent);
        Assert.DoesNotContain("Steady", failing.TextContent); // no failures
        Assert.Contains("Webhook disabled: Flaky receiver", cut.Find("[data-testid=overview-notifications]").TextContent);

        // The last hour, per minute: only the minute-old attempts.
        cut.FindAll("[data-testid=delivery-chart] button").First(b => b.TextContent.Contains("Last hour")).Click();
        cut.WaitForAssertion(() => Assert.Contains("2 delivered · 1 retried · 0 failed", cut.Find("[data-testid=chart-totals]").TextContent));
    }

    [Fact]
    public async Task Support_sees_the_figures_but_not_the_notifications_and_names_are_encoded()
    {
        SeedWebhooks();
        await RecordAsync(DateTime.UtcNow, Job(_steady, JobStatus.Failed));
        _auth.SetRoles(Roles.Support);
        var cut = Render<OverviewPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=failing-most]")));
        Assert.Empty(cut.FindAll("[data-testid=overview-notifications]"));
        Assert.Contains("Steady &lt;b&gt;receiver&lt;/b&gt;", cut.Find("[data-testid=failing-most]").InnerHtml);
    }

    [Fact]
    public void A_fresh_console_says_there_is_nothing_yet()
    {
        var cut = Render<OverviewPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=chart-empty]")));
        Assert.Contains("no attempts yet", cut.Find("[data-testid=stat-delivered]").TextContent);
        Assert.Contains("No failed attempts", cut.Find("[data-testid=failing-most]").TextContent);
        Assert.Contains("none", cut.Find("[data-testid=stat-oldest-due]").TextContent);
    }

    [Fact]
    public async Task Only_people_who_work_with_deliveries_may_read_the_figures()
    {
        var stats = Services.GetRequiredService<DeliveryStats>();
        var key = new Actor("k", "events key", true, new HashSet<string>(), new HashSet<string> { ApiScopes.EventsWrite });
        await Assert.ThrowsAsync<ForbiddenException>(() => stats.OverviewAsync(key));
        await Assert.ThrowsAsync<ForbiddenException>(() => stats.BucketsAsync(key, ChartRange.LastDay));
    }
}

public sealed class OverviewPageTestsOnSqlite() : OverviewPageTests(new TestDatabase());

public sealed class OverviewPageTestsOnPostgres() : OverviewPageTests(new PostgresTestDatabase());
