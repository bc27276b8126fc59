using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Dispatching;

/// <summary>
/// The Hangfire job: one delivery attempt of one WebhookJob. Re-entrant: it reloads the row, returns at once
/// when the job is final, not due, or leased by another worker; records every attempt; schedules the next.
/// </summary>
public sealed class DeliveryJob(
    IDbContextFactory<AppDbContext> dbFactory,
    DeliverySender sender,
    IDeliveryQueue queue,
    InFlightJobs inFlight,
    WebhookHealth health,
    IOptions<DispatchOptions> options,
    TimeProvider time,
    ILogger<DeliveryJob> logger)
{
    /// <summary>Time beyond the webhook's timeout for recording the attempt, so a live lease is never stolen.</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(10);

    // Our schedule governs retries; Hangfire's own retry would send extra attempts.
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task RunAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var rescheduled = false;
        try
        {
            (_, rescheduled) = await AttemptCoreAsync(jobId, cancellationToken);
        }
        finally
        {
            // A scheduled retry is still held by Hangfire: keep it out of the recovery sweep until it runs.
            if (!rescheduled) inFlight.Remove(jobId);
        }
    }

    /// <summary>Sends one attempt now if the job is Pending, due and free. Returns the attempt, or null when nothing was sent.</summary>
    public async Task<JobAttempt?> AttemptAsync(Guid jobId, CancellationToken ct) => (await AttemptCoreAsync(jobId, ct)).Attempt;

    private async Task<(JobAttempt? Attempt, bool Rescheduled)> AttemptCoreAsync(Guid jobId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // The lease outlives the attempt (the webhook's timeout) by a margin, and no more: after a crash,
        // the recovery sweep re-sends the job as soon as its lease has expired.
        var timeoutSeconds = await db.WebhookJobs.Where(j => j.Id == jobId)
            .Select(j => db.Webhooks.Where(w => w.Id == j.WebhookId).Max(w => (int?)w.TimeoutSeconds))
            .FirstOrDefaultAsync(ct) ?? 60;
        var leaseUntil = now + TimeSpan.FromSeconds(timeoutSeconds) + LeaseMargin;
        var leased = await db.WebhookJobs
            .Where(j => j.Id == jobId && j.Status == JobStatus.Pending && j.NextAttemptAt <= now && (j.LeaseUntil == null || j.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntil, leaseUntil), ct);
        if (leased == 0) return (null, false);

        var job = await db.WebhookJobs.FirstAsync(j => j.Id == jobId, ct);
        var webhook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == job.WebhookId, ct);
        if (webhook is null)
        {
            job.Status = JobStatus.Abandoned;
            job.Summary = "Abandoned: the webhook was deleted";
            job.CompletedAt = job.UpdatedAt = now;
            job.LeaseUntil = null;
            await db.SaveChangesAsync(ct);
            return (null, false);
        }
        if (!webhook.Enabled && !job.IsTest)
        {
            // Held, not dropped: the job waits, Pending, until the webhook is enabled again.
            job.LeaseUntil = null;
            await db.SaveChangesAsync(ct);
            return (null, false);
        }

        var result = await sender.SendAsync(job, webhook, ct);
        var number = job.AttemptCount + 1;
        var opts = options.Value;
        var outcome = DeliveryOutcome.Decide(result, webhook.AsyncAck, number, opts.EffectiveRetryDelays, opts.RetryJitter, opts.MaxRetryAfterSeconds, job.IsTest);

        var attempt = new JobAttempt
        {
            JobId = job.Id,
            Number = number,
            Trigger = job.IsTest ? AttemptTrigger.Test : job.PendingTrigger ?? AttemptTrigger.Schedule,
            TriggeredBy = job.PendingTriggeredBy,
            StartedAt = result.StartedAt,
            DurationMs = result.DurationMs,
            Url = result.Url,
            RequestHeaders = result.RequestHeaders,
            RequestBody = result.RequestBody,
            StatusCode = result.StatusCode,
            ResponseHeaders = result.ResponseHeaders,
            ResponseBody = result.ResponseBody,
            ResponseBodyLength = result.ResponseBodyLength,
            ErrorKind = result.ErrorKind,
            Error = result.Error,
        };
        db.JobAttempts.Add(attempt);

        var finishedAt = time.GetUtcNow().UtcDateTime;
        job.AttemptCount = number;
        job.LastStatusCode = result.StatusCode;
        job.LastErrorKind = result.ErrorKind;
        job.Summary = Truncate(outcome.Summary, 300);
        job.PendingTrigger = null;
        job.PendingTriggeredBy = null;
        job.LeaseUntil = null;
        job.UpdatedAt = finishedAt;
        job.Status = outcome.Status;
        job.NextAttemptAt = outcome.RetryIn is { } wait ? finishedAt + wait : null;
        if (outcome.Status is JobStatus.Succeeded or JobStatus.Failed) job.CompletedAt = finishedAt;
        // The attempt is recorded even when shutdown is under way: it was sent.
        await db.SaveChangesAsync(CancellationToken.None);

        if (!job.IsTest)
        {
            if (outcome.WebhookGone) await health.DisableAsync(webhook.Id, $"receiver answered {result.Summary}", CancellationToken.None);
            else if (outcome.DeliveryFailed) await health.RecordFailureAsync(webhook.Id, CancellationToken.None);
            else await health.RecordSuccessAsync(webhook.Id, CancellationToken.None);
        }
        if (outcome.RetryIn is { } delay) queue.Schedule(job.Id, delay);
        logger.LogDebug("Job {Job} attempt {Number}: {Summary}", job.Id, number, outcome.Summary);
        return (attempt, outcome.RetryIn is not null);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
