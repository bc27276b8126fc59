using Hangfire;
using Hangfire.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>
/// Hangfire's state lives in <c>console.hangfire.db</c> beside the database: the recurring jobs and the bulk
/// operations outlive a restart, and deleting the file loses no delivery.
/// </summary>
public class DurableLaneTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wc-durable-");
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Recurring_jobs_and_a_finished_bulk_operation_survive_a_restart_and_a_deleted_file_loses_no_delivery()
    {
        var hangfireFile = Path.Combine(_dir.FullName, "console.hangfire.db");
        string bulkId;
        Guid failedJob;
        await using (var first = new RestartableDeliveryFactory(_dir.FullName))
        {
            var webhook = await first.CreateWebhookAsync(_receiver.Status("/down", 500));
            failedJob = await first.FireAsync(webhook);
            await first.WaitForJobAsync(failedJob, j => j.Status == JobStatus.Failed, "the job to fail after its attempts");
            Assert.True(File.Exists(hangfireFile), "the Hangfire file sits beside the database");

            var op = first.Service<BulkOperations>().Start(await AdminAsync(first), BulkKind.Retry, new JobQuery(JobStatus.Failed, WebhookId: webhook.Id), "of the test webhook");
            bulkId = op.Id;
            await Eventually.WaitAsync(() => Task.FromResult(first.Service<BulkOperations>().Recent.Single(o => o.Id == bulkId)), o => o.Done, TimeSpan.FromSeconds(30), "the bulk retry to finish");
        }

        Guid waitingJob;
        var attempts = 0;
        await using (var second = new RestartableDeliveryFactory(_dir.FullName))
        {
            _ = second.Server; // start it
            var storage = second.Service<JobStorage>();
            using (var connection = storage.GetConnection())
            {
                var recurring = connection.GetRecurringJobs().Select(r => r.Id).ToList();
                Assert.Contains(DurableLane.RecoveryJobId, recurring);
                Assert.Contains(WebhookConsole.Retention.RetentionJob.Id, recurring);
            }
            var finished = second.Service<BulkOperations>().Recent.Single(o => o.Id == bulkId);
            Assert.True(finished is { Done: true, Cancelled: false, Error: null, Processed: 1 }, $"the bulk operation after the restart: {finished}");
            Assert.Contains(storage.GetMonitoringApi().SucceededJobs(0, 100), j => j.Key == bulkId);

            // The dashboard shows both, to a signed-in admin.
            using var browser = second.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
            Assert.Equal(StatusCodes.Status302Found, (int)(await SignInForm.PostAsync(browser, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword)).StatusCode);
            Assert.Contains(DurableLane.RecoveryJobId, await browser.GetStringAsync("/hangfire/recurring"));
            Assert.Contains("BulkJob", await browser.GetStringAsync("/hangfire/jobs/succeeded"));

            // A retry waiting for its time when the console stops: it lives in our database only.
            var url = _receiver.On("/later", (ctx, _) =>
            {
                if (Interlocked.Increment(ref attempts) == 1)
                {
                    ctx.Response.StatusCode = 503;
                    ctx.Response.Headers.RetryAfter = "3";
                }
                else ctx.Response.StatusCode = 200;
                return Task.CompletedTask;
            });
            var webhook = await second.CreateWebhookAsync(url);
            waitingJob = await second.FireAsync(webhook);
            await second.WaitForJobAsync(waitingJob, j => j.AttemptCount == 1 && j.Status == JobStatus.Pending, "the first attempt to be answered 503");
        }

        foreach (var file in Directory.GetFiles(_dir.FullName, "console.hangfire.db*")) File.Delete(file);

        await using var third = new RestartableDeliveryFactory(_dir.FullName);
        _ = third.Server;
        Assert.True(File.Exists(hangfireFile), "the Hangfire file is created again at start-up");
        using (var connection = third.Service<JobStorage>().GetConnection())
        {
            Assert.Contains(DurableLane.RecoveryJobId, connection.GetRecurringJobs().Select(r => r.Id));
        }
        var delivered = await third.WaitForJobAsync(waitingJob, j => j.Status == JobStatus.Succeeded, "the waiting retry to be delivered after the file was deleted");
        Assert.Equal(2, delivered.AttemptCount);
        Assert.Equal(2, attempts);
    }

    private static async Task<Actor> AdminAsync(ConsoleFactory factory)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>().FindByEmailAsync(ConsoleFactory.AdminEmail);
        return (await scope.ServiceProvider.GetRequiredService<IActorDirectory>().FindUserAsync(user!.Id))!;
    }
}
