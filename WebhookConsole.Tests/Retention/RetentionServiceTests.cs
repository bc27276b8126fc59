using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WebhookConsole.Data.Entities;
using WebhookConsole.Retention;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Retention;

/// <summary>Retention on a database of each provider (a class per provider below).</summary>
public abstract class RetentionServiceTests(Func<ITestDatabase> open)
{
    [Fact]
    public async Task Purges_old_finished_jobs_and_events_in_batches_and_keeps_unfinished_ones()
    {
        using var database = open();
        var old = DateTime.UtcNow.AddDays(-200);
        var recent = DateTime.UtcNow.AddDays(-10);
        Guid Job(DateTime at, JobStatus status, Guid? eventId = null)
        {
            using var db = database.CreateDbContext();
            var job = new WebhookJob
            {
                Id = Guid.CreateVersion7(), WebhookId = Guid.NewGuid(), EventId = eventId, WebhookName = "h", EventType = "User", EventAction = "Created",
                Url = "https://r.example", RequestBody = "{}", Status = status, CreatedAt = at, UpdatedAt = at,
                Attempts = [new JobAttempt { Number = 1, StartedAt = at, Url = "https://r.example", RequestBody = "{}", StatusCode = 200 }],
            };
            db.WebhookJobs.Add(job);
            db.SaveChanges();
            return job.Id;
        }
        Guid Event(DateTime at)
        {
            using var db = database.CreateDbContext();
            var e = new Event { Id = Guid.CreateVersion7(), Type = "User", Action = "Created", ReceivedAt = at, OccurredAt = at, Outcomes = [new EventOutcome { WebhookId = Guid.NewGuid(), WebhookName = "h", Kind = OutcomeKind.FilterFalse }] };
            db.Events.Add(e);
            db.SaveChanges();
            return e.Id;
        }

        var oldEvent = Event(old);
        var oldEventWithPendingJob = Event(old);
        var oldDone = Enumerable.Range(0, 7).Select(i => Job(old.AddMinutes(i), i % 2 == 0 ? JobStatus.Succeeded : JobStatus.Failed, oldEvent)).ToList();
        var oldPending = Job(old, JobStatus.Pending, oldEventWithPendingJob);
        var oldReceived = Job(old, JobStatus.Received);
        var recentDone = Job(recent, JobStatus.Succeeded, Event(recent));

        var service = new RetentionService(database, Options.Create(new RetentionOptions { Days = 180, BatchSize = 3 }), TimeProvider.System, NullLogger<RetentionService>.Instance);
        var result = await service.PurgeAsync(CancellationToken.None);

        Assert.Equal(7, result.Jobs);
        Assert.Equal(1, result.Events);
        using var check = database.CreateDbContext();
        Assert.DoesNotContain(check.WebhookJobs, j => oldDone.Contains(j.Id));
        Assert.DoesNotContain(check.JobAttempts, a => oldDone.Contains(a.JobId));
        Assert.Contains(check.WebhookJobs, j => j.Id == oldPending);
        Assert.Contains(check.WebhookJobs, j => j.Id == oldReceived);
        Assert.Contains(check.WebhookJobs, j => j.Id == recentDone);
        Assert.DoesNotContain(check.Events, e => e.Id == oldEvent);
        Assert.Contains(check.Events, e => e.Id == oldEventWithPendingJob);
        Assert.Equal(2, check.Events.Count());
        Assert.Same(result, service.LastPurge);
    }
}

public sealed class RetentionServiceTestsOnSqlite() : RetentionServiceTests(() => new TestDatabase());

public sealed class RetentionServiceTestsOnPostgres() : RetentionServiceTests(() => new PostgresTestDatabase());
