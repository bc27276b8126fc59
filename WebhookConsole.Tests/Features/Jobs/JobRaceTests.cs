using System.Reflection;
using Hangfire;
using Hangfire.Common;
using Hangfire.Server;
using Hangfire.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Security;
using WebhookConsole.Tests.Dispatching;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Jobs;

/// <summary>
/// A person's action on a job and the engine's work on it meet at the same row; the person's change applies to the
/// job as they saw it or not at all, and a bulk operation's bookkeeping does not race Hangfire's own.
/// </summary>
public class JobRaceTests(JobRaceTests.RacingFactory factory) : IClassFixture<JobRaceTests.RacingFactory>, IAsyncLifetime
{
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task An_edited_retry_saved_after_an_attempt_took_the_job_up_is_refused_and_changes_nothing()
    {
        var (jobId, waiting) = await WaitingJobAsync("/busy");

        // Between the service's read and its save, the lane leases the job for its next attempt.
        factory.Interceptor.Arm(jobId);
        await using var scope = factory.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<JobsService>()
            .RetryAsync(Actor.System, jobId, new RetryRequest(_receiver.BaseUrl + "/elsewhere", "{\"edited\":true}"));

        Assert.True(factory.Interceptor.TookUp, "the interceptor leased the job between read and save");
        Assert.Equal(ActionStatus.Conflict, result.Status);
        Assert.Contains("while you acted", result.Message);
        var job = await factory.JobAsync(jobId);
        Assert.Equal(waiting.Url, job.Url);
        Assert.Equal(waiting.RequestBody, job.RequestBody);
        Assert.Null(job.OriginalUrl);
        Assert.Null(job.PendingTrigger);
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.False(await db.AuditEntries.AnyAsync(a => a.EntityId == jobId.ToString() && a.Action == "edited and retried"), "no audit entry for a change that was not made");
    }

    [Fact]
    public async Task An_abandon_saved_after_an_attempt_took_the_job_up_is_refused()
    {
        var (jobId, _) = await WaitingJobAsync("/busy-abandon");

        factory.Interceptor.Arm(jobId);
        await using var scope = factory.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<JobsService>().AbandonAsync(Actor.System, jobId);

        Assert.Equal(ActionStatus.Conflict, result.Status);
        Assert.Equal(JobStatus.Pending, (await factory.JobAsync(jobId)).Status);
    }

    [Fact]
    public async Task A_bulk_operation_reports_its_progress_before_it_ends_and_never_alongside_itself()
    {
        var url = _receiver.Status("/bulk-race", 500);
        var webhook = await factory.CreateWebhookAsync(url);
        var jobId = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Failed, "the job to fail after its attempts");

        Actor admin;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var user = await scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>().FindByEmailAsync(ConsoleFactory.AdminEmail);
            admin = (await scope.ServiceProvider.GetRequiredService<IActorDirectory>().FindUserAsync(user!.Id))!;
        }
        // Hangfire's worker connection is not safe for concurrent use; this one notices overlapping calls, and
        // slow writes make an overlap as likely as it can be.
        var connection = DispatchProxy.Create<IStorageConnection, RecordingConnection>();
        var recording = (RecordingConnection)(object)connection;
        var spec = new BulkSpec(BulkKind.Retry, new JobQuery(JobStatus.Failed, WebhookId: webhook.Id), "of the test webhook", admin.Id, admin.Name);
        var context = new PerformContext(factory.Services.GetRequiredService<JobStorage>(), connection,
            new BackgroundJob("1", Job.FromExpression<BulkJob>(j => j.RunAsync(spec, null, CancellationToken.None)), DateTime.UtcNow),
            new JobCancellationToken(false));

        int total;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            total = await scope.ServiceProvider.GetRequiredService<BulkJob>().RunAsync(spec, context, CancellationToken.None);
        }
        recording.Ended = true;
        await Task.Delay(300);

        Assert.Equal(1, total);
        Assert.Equal(1, recording.MostAtOnce);
        Assert.Equal(0, recording.CallsAfterEnd);
        Assert.Equal("1", recording.Last);
    }

    /// <summary>A job whose receiver asked for three seconds: Pending and free, waiting for its next attempt.</summary>
    private async Task<(Guid Id, WebhookJob Job)> WaitingJobAsync(string path)
    {
        var url = _receiver.On(path, (ctx, _) =>
        {
            ctx.Response.StatusCode = 503;
            ctx.Response.Headers.RetryAfter = "3";
            return Task.CompletedTask;
        });
        var jobId = await factory.FireAsync(await factory.CreateWebhookAsync(url));
        var job = await factory.WaitForJobAsync(jobId, j => j.AttemptCount == 1 && j.Status == JobStatus.Pending && j.LeaseUntil is null, "the first attempt to be answered 503");
        return (jobId, job);
    }

    /// <summary>Leases an armed job from another context just before a save that modifies it, as the lane would.</summary>
    public sealed class TakeUpBeforeSave : SaveChangesInterceptor
    {
        private Guid? _armed;
        public IServiceProvider? Services { get; set; }
        public bool TookUp { get; private set; }

        public void Arm(Guid jobId)
        {
            TookUp = false;
            _armed = jobId;
        }

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
        {
            if (_armed is { } id && eventData.Context!.ChangeTracker.Entries<WebhookJob>().Any(e => e.Entity.Id == id && e.State == EntityState.Modified))
            {
                _armed = null;
                await using var other = await Services!.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
                var until = DateTime.UtcNow.AddSeconds(30);
                await other.WebhookJobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntil, until), ct);
                TookUp = true;
            }
            return result;
        }
    }

    public sealed class RacingFactory : DeliveryFactory
    {
        public TakeUpBeforeSave Interceptor { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.AddSingleton<IInterceptor>(sp =>
            {
                Interceptor.Services = sp;
                return Interceptor;
            }));
        }
    }

    /// <summary>A storage connection that takes job parameters slowly and counts calls made at once and after the end.</summary>
    public class RecordingConnection : DispatchProxy
    {
        private int _active;
        public int MostAtOnce;
        public int CallsAfterEnd;
        public volatile bool Ended;
        public string? Last;

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            switch (method!.Name)
            {
                case nameof(IStorageConnection.SetJobParameter):
                    if (Ended) Interlocked.Increment(ref CallsAfterEnd);
                    var now = Interlocked.Increment(ref _active);
                    InterlockedMax(ref MostAtOnce, now);
                    Thread.Sleep(100);
                    Last = (string?)args![2];
                    Interlocked.Decrement(ref _active);
                    return null;
                case nameof(IDisposable.Dispose):
                    return null;
                default:
                    throw new NotSupportedException($"The bulk job should not call {method.Name} on its connection.");
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
        }
    }
}
