using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Operations;
using WebhookConsole.Tests.Dispatching;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Operations;

/// <summary>/health/live and /health/ready on a console that delivers: anonymous, JSON, no secrets, and honest about lag.</summary>
public class HealthTests(DeliveryFactory factory) : IClassFixture<DeliveryFactory>
{
    [Fact]
    public async Task Live_answers_anonymously_without_running_a_check()
    {
        var client = factory.CreateClient();
        var response = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        Assert.Empty(json.RootElement.GetProperty("checks").EnumerateObject());
    }

    [Fact]
    public async Task Ready_reports_the_database_the_lanes_and_the_lag_and_gives_away_nothing()
    {
        var client = factory.CreateClient();
        // Hangfire's server registers a moment after start-up; until then the instance is not ready.
        var body = await Eventually.WaitAsync(async () =>
        {
            var response = await client.GetAsync("/health/ready");
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }, r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the console to be ready");

        using var json = JsonDocument.Parse(body.Body);
        var checks = json.RootElement.GetProperty("checks");
        Assert.Equal(["database", "dispatchLag", "lanes"], checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.All(checks.EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetProperty("status").GetString()));
        Assert.Equal(0, checks.GetProperty("database").GetProperty("data").GetProperty("pendingMigrations").GetInt32());
        Assert.True(checks.GetProperty("lanes").GetProperty("data").GetProperty("hangfireHeartbeatAgeSeconds").GetDouble() < 120);
        // No connection string, file path, key or host in what anyone may read.
        Assert.DoesNotContain(factory.DatabasePath, body.Body);
        Assert.DoesNotContain(ConsoleFactory.SeedApiKey, body.Body);
        Assert.DoesNotContain("Data Source", body.Body);
        Assert.DoesNotContain(Environment.MachineName, body.Body);
    }

    [Fact]
    public async Task A_delivery_overdue_past_the_limit_makes_the_instance_not_ready_and_a_held_one_does_not()
    {
        var webhook = await factory.CreateWebhookAsync("http://127.0.0.1:9/never");
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        var now = DateTime.UtcNow;
        // A lane that does not run (this check is tested on its own): the job stays as written.
        var check = new DispatchLagHealthCheck(dbFactory, Options.Create(new HealthOptions { MaxDispatchLagSeconds = 120 }),
            Options.Create(new DispatchOptions { Enabled = true }), new FixedTime(now.AddMinutes(10)), NullLogger<DispatchLagHealthCheck>.Instance);
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            await db.Webhooks.Where(w => w.Id == webhook.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.Enabled, false));
            db.WebhookJobs.Add(new WebhookJob
            {
                Id = Guid.CreateVersion7(), WebhookId = webhook.Id, WebhookName = webhook.Name, EventType = "Submission", EventAction = "Submitted",
                Url = webhook.Url, RequestBody = "{}", Status = JobStatus.Pending, NextAttemptAt = now, CreatedAt = now, UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        // Ten minutes later, held by a disabled webhook: not late, and not a reason to take the instance out.
        var held = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Healthy, held.Status);

        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            await db.Webhooks.Where(w => w.Id == webhook.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.Enabled, true));
        }
        var late = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, late.Status);
        Assert.Contains("waited 600 s", late.Description);
        Assert.Equal(600.0, (double)late.Data["oldestDueAgeSeconds"], 0);

        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            await db.WebhookJobs.Where(j => j.WebhookId == webhook.Id).ExecuteDeleteAsync();
        }
    }

    [Fact]
    public async Task A_database_without_the_schema_is_not_ready()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wc-empty-{Guid.NewGuid():N}.db");
        try
        {
            // A database that answers but was never migrated (an instance of an older build, a restored file).
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
            {
                await connection.OpenAsync();
                await using var create = connection.CreateCommand();
                create.CommandText = "CREATE TABLE Other (Id INTEGER)";
                await create.ExecuteNonQueryAsync();
            }
            var options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite($"Data Source={path}").Options;
            var check = new DatabaseHealthCheck(new Factory(options), NullLogger<DatabaseHealthCheck>.Instance);
            var result = await check.CheckHealthAsync(new HealthCheckContext());
            Assert.Equal(HealthStatus.Unhealthy, result.Status);
            Assert.Contains("not applied", result.Description);
            Assert.True((int)result.Data["pendingMigrations"] > 0);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    private sealed class Factory(DbContextOptions<AppDbContext> options) : IDbContextFactory<AppDbContext>
    {
        public AppDbContext CreateDbContext() => new(options);
    }

    private sealed class FixedTime(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now, TimeSpan.Zero);
    }
}
