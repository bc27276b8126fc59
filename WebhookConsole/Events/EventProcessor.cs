using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching;
using WebhookConsole.Payloads;

namespace WebhookConsole.Events;

/// <summary>
/// Validated events in, deliveries written: stores each Event with its per-webhook outcomes and a Pending
/// WebhookJob per firing webhook — all in one transaction — then hands the job ids to the delivery queue.
/// </summary>
public sealed class EventProcessor(
    IDbContextFactory<AppDbContext> dbFactory,
    WebhookIndex index,
    EventMatcher matcher,
    IDeliveryQueue queue,
    Microsoft.Extensions.Options.IOptions<EventsOptions> options,
    TimeProvider time)
{
    private sealed record Prepared(ValidEvent Input, Event Row, List<WebhookJob> Jobs, EventReply Reply);

    public async Task<EventReply> ProcessAsync(ValidEvent e, CancellationToken ct = default) => (await ProcessManyAsync([e], ct))[0];

    public async Task<IReadOnlyList<EventReply>> ProcessManyAsync(IReadOnlyList<ValidEvent> events, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // Filters, templates and payloads run before the transaction opens, so it stays short.
        var prepared = new List<Prepared>(events.Count);
        foreach (var e in events) prepared.Add(Prepare(e, await index.ForEventAsync(e.Type, e.Action, ct), now));

        var replies = new EventReply[events.Count];
        var jobIds = new List<Guid>();
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // Idempotency is checked inside the (SQLite: immediate) transaction, so two requests with the
            // same id cannot both pass the check.
            var clientIds = prepared.Where(p => p.Input.ClientId is not null).Select(p => p.Input.ClientId!).Distinct().ToList();
            var seen = await PreviousRepliesAsync(db, clientIds, now - options.Value.IdempotencyWindow, ct);

            var toStore = new List<Prepared>();
            for (var i = 0; i < prepared.Count; i++)
            {
                var p = prepared[i];
                if (p.Input.ClientId is { } id && seen.TryGetValue(id, out var previous))
                {
                    replies[i] = previous with { Duplicate = true };
                    continue;
                }
                if (p.Input.ClientId is { } newId) seen[newId] = p.Reply;
                replies[i] = p.Reply;
                toStore.Add(p);
            }

            if (toStore.Count > 0)
            {
                db.Events.AddRange(toStore.Select(p => p.Row));
                await db.SaveChangesAsync(ct);
                db.WebhookJobs.AddRange(toStore.SelectMany(p => p.Jobs));
                await db.SaveChangesAsync(ct);
            }
            await tx.CommitAsync(ct);
            jobIds.AddRange(toStore.SelectMany(p => p.Jobs).Select(j => j.Id));
        }
        if (jobIds.Count > 0) queue.Enqueue(jobIds);
        return replies;
    }

    private Prepared Prepare(ValidEvent e, IReadOnlyList<Webhook> candidates, DateTime now)
    {
        var row = new Event
        {
            Id = Guid.CreateVersion7(),
            ClientId = e.ClientId,
            Type = e.Type,
            Action = e.Action,
            Scope = e.TypeInfo.Scope,
            Kapp = e.Kapp,
            Form = e.Form,
            Source = e.Source,
            OccurredAt = e.OccurredAt,
            ReceivedAt = now,
            ContextJson = e.Context.ToJsonString(),
        };
        var jobs = new List<WebhookJob>();
        var jobRefs = new List<JobRef>();
        var skipped = new List<SkippedWebhook>();
        foreach (var decision in matcher.Decide(candidates, e))
        {
            var w = decision.Webhook;
            Guid? jobId = null;
            if (decision.Outcome == OutcomeKind.Fired)
            {
                var job = NewJob(w, row, e, decision.Url!, now);
                jobs.Add(job);
                jobRefs.Add(new JobRef(job.Id, w.Name, "pending"));
                jobId = job.Id;
            }
            else
            {
                skipped.Add(new SkippedWebhook(w.Name, decision.Message ?? decision.Outcome.ToString()));
            }
            row.Outcomes.Add(new EventOutcome { EventId = row.Id, WebhookId = w.Id, WebhookName = w.Name, Kind = decision.Outcome, Message = decision.Message, JobId = jobId });
        }
        return new Prepared(e, row, jobs, new EventReply(row.Id, jobRefs, skipped));
    }

    private static WebhookJob NewJob(Webhook w, Event row, ValidEvent e, string url, DateTime now)
    {
        var id = Guid.CreateVersion7();
        var body = PayloadBuilder.Build(new PayloadInput(id, w, e.Type, e.Action, e.Kapp, e.Form, e.OccurredAt, e.Context));
        return new WebhookJob
        {
            Id = id,
            WebhookId = w.Id,
            EventId = row.Id,
            WebhookName = w.Name,
            EventType = e.Type,
            EventAction = e.Action,
            Url = url,
            RequestHeaders = [new HeaderEntry("Content-Type", "application/json"), .. w.Headers],
            RequestBody = body,
            Status = JobStatus.Pending,
            NextAttemptAt = now,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>The replies first given to events with these client ids inside the window.</summary>
    private static async Task<Dictionary<string, EventReply>> PreviousRepliesAsync(AppDbContext db, List<string> clientIds, DateTime since, CancellationToken ct)
    {
        var result = new Dictionary<string, EventReply>(StringComparer.Ordinal);
        if (clientIds.Count == 0) return result;
        var previous = await db.Events.AsNoTracking().Include(e => e.Outcomes)
            .Where(e => e.ClientId != null && clientIds.Contains(e.ClientId) && e.ReceivedAt >= since)
            .OrderByDescending(e => e.ReceivedAt).ToListAsync(ct);
        var jobIds = previous.SelectMany(e => e.Outcomes).Where(o => o.JobId != null).Select(o => o.JobId!.Value).ToList();
        var statuses = await db.WebhookJobs.AsNoTracking().Where(j => jobIds.Contains(j.Id)).ToDictionaryAsync(j => j.Id, j => j.Status, ct);
        foreach (var e in previous)
        {
            if (result.ContainsKey(e.ClientId!)) continue;
            result[e.ClientId!] = new EventReply(e.Id,
                e.Outcomes.OrderBy(o => o.Id).Where(o => o.JobId != null).Select(o => new JobRef(o.JobId!.Value, o.WebhookName,
                    statuses.TryGetValue(o.JobId.Value, out var s) ? s.ToString().ToLowerInvariant() : "pending")).ToList(),
                e.Outcomes.OrderBy(o => o.Id).Where(o => o.JobId == null).Select(o => new SkippedWebhook(o.WebhookName, o.Message ?? o.Kind.ToString())).ToList());
        }
        return result;
    }
}
