using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Http;
using WebhookConsole.Payloads;

namespace WebhookConsole.Dispatching.Ledger;

/// <summary>The changes a job goes through; <see cref="JobLifecycle.Allows"/> is the table of which may happen from which status.</summary>
public enum JobChange { Lease, RecordAttempt, Retry, EditedRetry, Callback, Abandon, Purge }

/// <summary>
/// The one home of a job's state. Every change of <see cref="WebhookJob.Status"/> — created, leased, an attempt
/// recorded (succeeded, received, failed or a retry scheduled), a manual or edited retry, the receiver's callback,
/// abandon, purge — is made here, row by row or as the setters of a bulk update, with the rules written once:
/// what is final, what may be abandoned, what a retry needs, and the summary's text and length.
/// </summary>
public static class JobLifecycle
{
    public const int SummaryLength = 300;

    /// <summary>Statuses the engine never leaves on its own: only a person's retry sends such a job again.</summary>
    public static readonly IReadOnlyList<JobStatus> Final = [JobStatus.Succeeded, JobStatus.Failed, JobStatus.Abandoned];

    /// <summary>Statuses a person may abandon: a job still waiting for an attempt, for a callback, or failed for good.</summary>
    public static readonly IReadOnlyList<JobStatus> Abandonable = [JobStatus.Pending, JobStatus.Received, JobStatus.Failed];

    /// <summary>Statuses the retention purge removes (finished jobs); Pending and Received jobs are never purged.</summary>
    public static readonly IReadOnlyList<JobStatus> Purgeable = Final;

    /// <summary>The transition table: whether <paramref name="change"/> may happen to a job in <paramref name="from"/>.</summary>
    public static bool Allows(JobStatus from, JobChange change) => change switch
    {
        JobChange.Lease or JobChange.RecordAttempt => from == JobStatus.Pending,
        // A person may send any job again, a delivered one too (the receiver lost it); not while it is in flight (see RetryRefusal).
        JobChange.Retry or JobChange.EditedRetry => true,
        JobChange.Callback => from == JobStatus.Received,
        JobChange.Abandon => Abandonable.Contains(from),
        JobChange.Purge => Purgeable.Contains(from),
        _ => false,
    };

    public static string Summary(string text) => text.Length <= SummaryLength ? text : text[..(SummaryLength - 1)] + "…";

    /// <summary>
    /// A new job of <paramref name="input"/>'s webhook for its event, Pending and due now: the payload built for the
    /// job's id, the headers as the webhook has them (secret ones masked, their values added at send time). A job
    /// with <paramref name="testBy"/> is the Test button's: it stands for no event and never counts toward health.
    /// </summary>
    public static WebhookJob NewJob(PayloadInput input, string url, DateTime now, Guid? eventId = null, string? testBy = null)
    {
        var id = Guid.CreateVersion7();
        var w = input.Webhook;
        var job = new WebhookJob
        {
            Id = id,
            WebhookId = w.Id,
            EventId = eventId,
            WebhookName = w.Name,
            EventType = input.Type,
            EventAction = input.Action,
            Url = url,
            RequestHeaders = JobRequest.Headers(w),
            RequestBody = PayloadBuilder.Build(input with { JobId = id }),
            IsTest = testBy is not null,
            PendingTriggeredBy = testBy,
            Origin = System.Diagnostics.Activity.Current?.Context ?? default,
        };
        Create(job, now);
        return job;
    }

    /// <summary>A new job: Pending, due at <paramref name="dueAt"/>.</summary>
    public static void Create(WebhookJob job, DateTime now, DateTime? dueAt = null)
    {
        job.Status = JobStatus.Pending;
        job.NextAttemptAt = dueAt ?? now;
        job.CreatedAt = job.UpdatedAt = now;
    }

    public static void Lease(WebhookJob job, DateTime until, DateTime now)
    {
        Require(job, JobChange.Lease);
        job.LeaseUntil = until;
        job.UpdatedAt = now;
    }

    /// <summary>
    /// Leases given back unused (the webhook's limits made the job wait its turn): the jobs stay Pending and due, free
    /// for the next lease, with no attempt to count.
    /// </summary>
    public static void ReleaseLease(UpdateSettersBuilder<WebhookJob> s, DateTime now) => s
        .SetProperty(j => j.LeaseUntil, (DateTime?)null)
        .SetProperty(j => j.UpdatedAt, now);

    /// <summary>
    /// A lease that lapsed without a record: the attempt it stands for counts, of unknown outcome, and the job stays
    /// Pending to be sent again at once.
    /// </summary>
    public static void Interrupted(WebhookJob job)
    {
        Require(job, JobChange.Lease);
        job.AttemptCount++;
        job.Summary = "Outcome unknown (the console stopped during an attempt); sending again";
    }

    /// <summary>An attempt's outcome: final, waiting for the receiver's callback, or Pending until the retry is due.</summary>
    public static void RecordAttempt(WebhookJob job, int number, DeliveryOutcome outcome, SendResult result, DateTime now)
    {
        Require(job, JobChange.RecordAttempt);
        job.AttemptCount = number;
        job.LastStatusCode = result.StatusCode;
        job.LastErrorKind = result.ErrorKind;
        job.Summary = Summary(outcome.Summary);
        job.PendingTrigger = null;
        job.PendingTriggeredBy = null;
        job.LeaseUntil = null;
        job.UpdatedAt = now;
        job.Status = outcome.Status;
        job.NextAttemptAt = outcome.RetryIn is { } wait ? now + wait : null;
        if (Final.Contains(outcome.Status)) job.CompletedAt = now;
    }

    /// <summary>Why a person may not retry this job now, or null.</summary>
    public static string? RetryRefusal(WebhookJob job, DateTime now) =>
        job.Status == JobStatus.Pending && job.LeaseUntil > now
            ? "An attempt of this job is in flight; retry it once that attempt is recorded (a few seconds at most)."
            : null;

    public const string ChangedMeanwhile =
        "An attempt of this job started or was recorded while you acted, so nothing was changed; look at the job again and retry once its attempt is recorded.";

    /// <summary>
    /// Saves a person's change to a job unless the engine leased or recorded the job since it was read (the job's
    /// concurrency tokens, WebhookJobConfiguration): then nothing is saved, the audit entry neither.
    /// </summary>
    public static async Task<bool> SaveUnlessTakenUpAsync(AppDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    /// <summary>A person's retry: Pending, due now, its next attempt recorded as theirs.</summary>
    public static void Retry(WebhookJob job, bool edited, string by, DateTime now)
    {
        Require(job, edited ? JobChange.EditedRetry : JobChange.Retry);
        job.Status = JobStatus.Pending;
        job.PendingTrigger = edited ? AttemptTrigger.Edited : AttemptTrigger.Manual;
        job.PendingTriggeredBy = by;
        job.NextAttemptAt = now;
        job.CompletedAt = null;
        job.UpdatedAt = now;
    }

    /// <summary>The same retry as the setters of a bulk update (jobs not in flight: the caller selects them).</summary>
    public static void Retry(UpdateSettersBuilder<WebhookJob> s, string by, DateTime now) => s
        .SetProperty(j => j.Status, JobStatus.Pending)
        .SetProperty(j => j.PendingTrigger, AttemptTrigger.Manual)
        .SetProperty(j => j.PendingTriggeredBy, by)
        .SetProperty(j => j.NextAttemptAt, now)
        .SetProperty(j => j.CompletedAt, (DateTime?)null)
        .SetProperty(j => j.UpdatedAt, now);

    /// <summary>The receiver's report on a delivery it acknowledged.</summary>
    public static void Callback(WebhookJob job, bool completed, string? message, DateTime now)
    {
        Require(job, JobChange.Callback);
        job.Status = completed ? JobStatus.Succeeded : JobStatus.Failed;
        job.Summary = Summary($"{(completed ? "Completed" : "Failed")} (receiver's callback){(string.IsNullOrWhiteSpace(message) ? "" : ": " + message)}");
        job.CompletedAt = job.UpdatedAt = now;
        job.NextAttemptAt = null;
    }

    /// <summary>Why this job may not be abandoned, or null.</summary>
    public static string? AbandonRefusal(WebhookJob job) =>
        Allows(job.Status, JobChange.Abandon) ? null : $"The job is already {job.Status.ToString().ToLowerInvariant()}.";

    public static void Abandon(WebhookJob job, string by, DateTime now)
    {
        Require(job, JobChange.Abandon);
        job.Status = JobStatus.Abandoned;
        job.Summary = Summary($"Abandoned by {by}" + (job.Summary is null ? "" : $" · last: {job.Summary}"));
        job.NextAttemptAt = null;
        job.CompletedAt = job.UpdatedAt = now;
    }

    /// <summary>Abandon as the setters of a bulk update, with the reason as the summary.</summary>
    public static void Abandon(UpdateSettersBuilder<WebhookJob> s, string? summary, DateTime now)
    {
        s.SetProperty(j => j.Status, JobStatus.Abandoned)
            .SetProperty(j => j.NextAttemptAt, (DateTime?)null)
            .SetProperty(j => j.LeaseUntil, (DateTime?)null)
            .SetProperty(j => j.CompletedAt, now)
            .SetProperty(j => j.UpdatedAt, now);
        if (summary is not null) s.SetProperty(j => j.Summary, Summary(summary));
    }

    private static void Require(WebhookJob job, JobChange change)
    {
        if (!Allows(job.Status, change)) throw new InvalidOperationException($"A job that is {job.Status} cannot take the change {change}.");
    }
}
