using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>The one home of a job's state: the table of allowed changes, and what each change writes.</summary>
public class JobLifecycleTests
{
    // Rows: the status a job is in. Columns: Lease, RecordAttempt, Retry, EditedRetry, Callback, Abandon, Purge.
    private static readonly Dictionary<JobStatus, string> Table = new()
    {
        [JobStatus.Pending] = "L R r e - A -",
        [JobStatus.Received] = "- - r e C A -",
        [JobStatus.Succeeded] = "- - r e - - P",
        [JobStatus.Failed] = "- - r e - A P",
        [JobStatus.Abandoned] = "- - r e - - P",
    };

    public static TheoryData<JobStatus, JobChange, bool> Cells()
    {
        var data = new TheoryData<JobStatus, JobChange, bool>();
        foreach (var (status, row) in Table)
        {
            var cells = row.Split(' ');
            Assert.Equal(Enum.GetValues<JobChange>().Length, cells.Length);
            foreach (var change in Enum.GetValues<JobChange>()) data.Add(status, change, cells[(int)change] != "-");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void The_transition_table(JobStatus from, JobChange change, bool allowed) => Assert.Equal(allowed, JobLifecycle.Allows(from, change));

    [Fact]
    public void Every_status_has_a_row() => Assert.Equal(Enum.GetValues<JobStatus>().Order(), Table.Keys.Order());

    private static WebhookJob Job(JobStatus status) => new() { Id = Guid.NewGuid(), Status = status, Summary = "503 Service Unavailable", AttemptCount = 2 };

    private static SendResult Result(int status) =>
        new(DateTime.UtcNow, 5, "https://r.example", [], "{}", status, [], null, 0, status < 300 ? null : AttemptErrorKind.Http, null, null);

    [Fact]
    public void A_recorded_success_is_final_and_clears_the_lease_and_the_pending_trigger()
    {
        var now = DateTime.UtcNow;
        var job = Job(JobStatus.Pending);
        job.LeaseUntil = now.AddSeconds(20);
        job.PendingTrigger = AttemptTrigger.Manual;
        job.PendingTriggeredBy = "support@x";
        JobLifecycle.RecordAttempt(job, 3, new DeliveryOutcome(JobStatus.Succeeded, null, "200 OK", false, false), Result(200), now);
        Assert.Equal((JobStatus.Succeeded, 3, 200, (DateTime?)now, (DateTime?)null, (DateTime?)null), (job.Status, job.AttemptCount, job.LastStatusCode.GetValueOrDefault(), job.CompletedAt, job.LeaseUntil, job.NextAttemptAt));
        Assert.Null(job.PendingTrigger);
        Assert.Null(job.PendingTriggeredBy);
    }

    [Fact]
    public void A_recorded_failure_with_a_retry_stays_pending_until_due()
    {
        var now = DateTime.UtcNow;
        var job = Job(JobStatus.Pending);
        JobLifecycle.RecordAttempt(job, 1, new DeliveryOutcome(JobStatus.Pending, TimeSpan.FromSeconds(5), "503 Service Unavailable", false, true), Result(503), now);
        Assert.Equal(JobStatus.Pending, job.Status);
        Assert.Equal(now.AddSeconds(5), job.NextAttemptAt);
        Assert.Null(job.CompletedAt);
    }

    [Fact]
    public void A_received_acknowledgement_is_not_final()
    {
        var job = Job(JobStatus.Pending);
        JobLifecycle.RecordAttempt(job, 1, new DeliveryOutcome(JobStatus.Received, null, "202 Accepted", false, false), Result(202), DateTime.UtcNow);
        Assert.Null(job.CompletedAt);
        Assert.DoesNotContain(JobStatus.Received, JobLifecycle.Final);
    }

    [Fact]
    public void Changes_the_table_refuses_throw_instead_of_writing()
    {
        var job = Job(JobStatus.Succeeded);
        Assert.Throws<InvalidOperationException>(() => JobLifecycle.RecordAttempt(job, 3, new DeliveryOutcome(JobStatus.Failed, null, "x", false, true), Result(500), DateTime.UtcNow));
        Assert.Throws<InvalidOperationException>(() => JobLifecycle.Callback(job, false, null, DateTime.UtcNow));
        Assert.Throws<InvalidOperationException>(() => JobLifecycle.Abandon(job, "a", DateTime.UtcNow));
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal("The job is already succeeded.", JobLifecycle.AbandonRefusal(job));
    }

    [Fact]
    public void A_retry_is_refused_while_an_attempt_is_in_flight_and_marks_whose_it_is_otherwise()
    {
        var now = DateTime.UtcNow;
        var inFlight = Job(JobStatus.Pending);
        inFlight.LeaseUntil = now.AddSeconds(10);
        Assert.NotNull(JobLifecycle.RetryRefusal(inFlight, now));
        inFlight.LeaseUntil = now.AddSeconds(-1); // lapsed: the console that held it is gone
        Assert.Null(JobLifecycle.RetryRefusal(inFlight, now));

        var failed = Job(JobStatus.Failed);
        failed.CompletedAt = now.AddMinutes(-3);
        JobLifecycle.Retry(failed, edited: true, "support@x", now);
        Assert.Equal((JobStatus.Pending, AttemptTrigger.Edited, "support@x", (DateTime?)now, (DateTime?)null),
            (failed.Status, failed.PendingTrigger!.Value, failed.PendingTriggeredBy!, failed.NextAttemptAt, failed.CompletedAt));
    }

    [Fact]
    public void Summaries_are_cut_to_300_characters_with_an_ellipsis()
    {
        var job = Job(JobStatus.Received);
        JobLifecycle.Callback(job, completed: false, new string('x', 500), DateTime.UtcNow);
        Assert.Equal(JobLifecycle.SummaryLength, job.Summary!.Length);
        Assert.StartsWith("Failed (receiver's callback): xxx", job.Summary);
        Assert.EndsWith("…", job.Summary);
        Assert.Equal(JobStatus.Failed, job.Status);
    }

    [Fact]
    public void Abandon_keeps_the_last_summary_and_ends_the_job()
    {
        var now = DateTime.UtcNow;
        var job = Job(JobStatus.Pending);
        job.NextAttemptAt = now.AddMinutes(5);
        JobLifecycle.Abandon(job, "support@x", now);
        Assert.Equal("Abandoned by support@x · last: 503 Service Unavailable", job.Summary);
        Assert.Equal((JobStatus.Abandoned, (DateTime?)null, (DateTime?)now), (job.Status, job.NextAttemptAt, job.CompletedAt));
    }

    [Fact]
    public void An_interrupted_attempt_counts_and_leaves_the_job_pending()
    {
        var job = Job(JobStatus.Pending);
        JobLifecycle.Interrupted(job);
        Assert.Equal(3, job.AttemptCount);
        Assert.Equal(JobStatus.Pending, job.Status);
        Assert.StartsWith("Outcome unknown", job.Summary);
    }
}
