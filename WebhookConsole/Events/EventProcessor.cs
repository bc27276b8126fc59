using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Filtering;
using WebhookConsole.Http;
using WebhookConsole.Payloads;
using WebhookConsole.Telemetry;

namespace WebhookConsole.Events;

/// <summary>
/// Validated events in, deliveries written: stores each Event with its per-webhook outcomes and a Pending
/// WebhookJob per firing webhook — all in one transaction — then hands the job ids to the delivery queue.
/// </summary>
/// <remarks>
/// Requests arriving together are written together (group commit): one writer drains whatever is waiting,
/// stores it in one transaction and answers each request. SQLite has one writer anyway; sharing the
/// transaction is what lets thousands of single-event posts a second through. A group that fails is written
/// again request by request, so one bad request fails alone.
/// </remarks>
public sealed class EventProcessor : IAsyncDisposable
{
    private const int MaxEventsPerGroup = 2_000;

    private readonly IDbContextFactory<AppDbContext> _dbFactory;
    private readonly WebhookIndex _index;
    private readonly EventMatcher _matcher;
    private readonly IDeliveryQueue _queue;
    private readonly WriteGate _gate;
    private readonly EventsOptions _options;
    private readonly FilteringOptions _filtering;
    private readonly TimeProvider _time;
    private readonly Channel<WriteRequest> _requests = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public EventProcessor(IDbContextFactory<AppDbContext> dbFactory, WebhookIndex index, EventMatcher matcher, IDeliveryQueue queue, WriteGate gate,
        Microsoft.Extensions.Options.IOptions<EventsOptions> options, Microsoft.Extensions.Options.IOptions<FilteringOptions> filtering, TimeProvider time)
    {
        _dbFactory = dbFactory;
        _index = index;
        _matcher = matcher;
        _queue = queue;
        _gate = gate;
        _options = options.Value;
        _filtering = filtering.Value;
        _time = time;
        _writer = Task.Run(WriteLoopAsync);
    }

    private sealed record Prepared(ValidEvent Input, Event Row, List<LeasedJob> Jobs, EventReply Reply);

    private sealed record WriteRequest(List<Prepared> Events, TaskCompletionSource<EventReply[]> Done);

    public async Task<EventReply> ProcessAsync(ValidEvent e, CancellationToken ct = default) => (await ProcessManyAsync([e], ct))[0];

    public async Task<IReadOnlyList<EventReply>> ProcessManyAsync(IReadOnlyList<ValidEvent> events, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        // Filters, templates and payloads run on the request's thread, before the write, so the write stays short.
        var prepared = new List<Prepared>(events.Count);
        var budget = _filtering.NewRequestBudget();
        foreach (var e in events) prepared.Add(Prepare(e, await _index.ForEventAsync(e.Type, e.Action, ct), now, budget));
        var request = new WriteRequest(prepared, new TaskCompletionSource<EventReply[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_requests.Writer.TryWrite(request)) throw new ObjectDisposedException(nameof(EventProcessor));
        // Once handed over, the events are stored even if the caller goes away: the platform may retry with the same id.
        var replies = await request.Done.Task;
        if (ConsoleTelemetry.EventsReceived.Enabled)
        {
            for (var i = 0; i < events.Count; i++)
            {
                ConsoleTelemetry.EventsReceived.Add(1, new KeyValuePair<string, object?>("type", events[i].Type), new KeyValuePair<string, object?>("action", events[i].Action),
                    new KeyValuePair<string, object?>("outcome", replies[i].Duplicate ? "duplicate" : "accepted"));
            }
        }
        return replies;
    }

    /// <summary>
    /// One event whose synchronous webhooks the caller waits for (<c>Prefer: wait</c>): their jobs are written like any
    /// other, but instead of going to the lane each is attempted at once by this request, its timeout capped at
    /// <paramref name="deadline"/> and recorded with trigger <c>sync</c>. The other webhooks' jobs are queued as usual.
    /// Each attempt's task ends with the recorded attempt, or null when none was made (a repeated event id).
    /// </summary>
    public async Task<(EventReply Reply, IReadOnlyList<SyncAttempt> Attempts)> ProcessWaitingAsync(ValidEvent e, TimeSpan deadline, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var prepared = Prepare(e, await _index.ForEventAsync(e.Type, e.Action, ct), now, _filtering.NewRequestBudget(), waiting: true);
        var request = new WriteRequest([prepared], new TaskCompletionSource<EventReply[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        // Held by the lane before the write, so its poll never takes these jobs up first; sent once the write is done.
        var attempts = prepared.Jobs.Where(j => j.Job.PendingTrigger == AttemptTrigger.Sync)
            .Select(j => new SyncAttempt(j.Webhook.Name, j.Job.Id, _queue.AttemptNowAsync(j.Job.Id, _ => request.Done.Task, CancellationToken.None, deadline)))
            .ToList();
        if (!_requests.Writer.TryWrite(request)) throw new ObjectDisposedException(nameof(EventProcessor));
        var replies = await request.Done.Task;
        ConsoleTelemetry.EventsReceived.Add(1, new KeyValuePair<string, object?>("type", e.Type), new KeyValuePair<string, object?>("action", e.Action),
            new KeyValuePair<string, object?>("outcome", replies[0].Duplicate ? "duplicate" : "accepted"));
        return (replies[0], attempts);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _requests.Reader;
        while (await reader.WaitToReadAsync())
        {
            var group = new List<WriteRequest>();
            var count = 0;
            while (count < MaxEventsPerGroup && reader.TryRead(out var request))
            {
                group.Add(request);
                count += request.Events.Count;
            }
            try
            {
                Complete(group, await WriteAsync(group));
            }
            catch (Exception) when (group.Count > 1)
            {
                foreach (var request in group)
                {
                    try
                    {
                        Complete([request], await WriteAsync([request]));
                    }
                    catch (Exception ex)
                    {
                        request.Done.TrySetException(ex);
                    }
                }
            }
            catch (Exception ex)
            {
                group[0].Done.TrySetException(ex);
            }
        }
    }

    private void Complete(List<WriteRequest> group, (EventReply[][] Replies, List<LeasedJob> Jobs, bool Fresh) written)
    {
        if (written.Fresh) _queue.EnqueueFresh(written.Jobs);
        else if (written.Jobs.Count > 0) _queue.Enqueue(written.Jobs.Select(j => j.Job.Id).ToList());
        for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(written.Replies[i]);
    }

    private async Task<(EventReply[][] Replies, List<LeasedJob> Jobs, bool Fresh)> WriteAsync(List<WriteRequest> group)
    {
        var replies = group.Select(r => new EventReply[r.Events.Count]).ToArray();
        var toStore = new List<Prepared>();
        List<LeasedJob> jobs;
        bool fresh;
        using (await _gate.EnterAsync())
        {
            await using var db = await _dbFactory.CreateDbContextAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            // Idempotency is checked inside the (SQLite: immediate) transaction, so two requests with the
            // same id cannot both pass the check.
            var clientIds = group.SelectMany(r => r.Events).Where(p => p.Input.ClientId is not null).Select(p => p.Input.ClientId!).Distinct().ToList();
            var seen = await PreviousRepliesAsync(db, clientIds, _time.GetUtcNow().UtcDateTime - _options.IdempotencyWindow, CancellationToken.None);
            for (var r = 0; r < group.Count; r++)
            {
                for (var i = 0; i < group[r].Events.Count; i++)
                {
                    var p = group[r].Events[i];
                    if (p.Input.ClientId is { } id && seen.TryGetValue(id, out var previous))
                    {
                        replies[r][i] = previous with { Duplicate = true };
                        continue;
                    }
                    if (p.Input.ClientId is { } newId) seen[newId] = p.Reply;
                    replies[r][i] = p.Reply;
                    toStore.Add(p);
                }
            }
            var all = toStore.SelectMany(p => p.Jobs).ToList();
            // Jobs this process sends itself are written already leased to it, and handed over as written.
            // (Set either way: a group written again request by request may have set it on its first try.)
            // A synchronous attempt's job is the waiting request's to send: not the lane's.
            jobs = all.Where(j => j.Job.PendingTrigger != AttemptTrigger.Sync).ToList();
            fresh = _queue.LeaseFresh(jobs, _time.GetUtcNow().UtcDateTime);
            if (toStore.Count > 0)
            {
                await db.InsertAsync(toStore.Select(p => p.Row).ToList());
                await db.InsertAsync(toStore.SelectMany(p => p.Row.Outcomes).ToList());
                await db.InsertAsync(all.Select(j => j.Job).ToList());
            }
            await tx.CommitAsync();
        }
        return (replies, jobs, fresh);
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _writer;
    }

    private Prepared Prepare(ValidEvent e, IReadOnlyList<Webhook> candidates, DateTime now, FilterBudget budget, bool waiting = false)
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
            ContextJson = System.Text.Json.JsonSerializer.Serialize(e.Context),
        };
        var jobs = new List<LeasedJob>();
        var jobRefs = new List<JobRef>();
        var skipped = new List<SkippedWebhook>();
        foreach (var decision in _matcher.Decide(candidates, e, budget))
        {
            var w = decision.Webhook;
            if (decision.Outcome == OutcomeKind.Fired)
            {
                // The job is the fired outcome's record (Event.Outcomes).
                var job = JobLifecycle.NewJob(new PayloadInput(Guid.Empty, w, e.Type, e.Action, e.Kapp, e.Form, e.OccurredAt, e.Context), decision.Url!, now, row.Id);
                if (waiting && w.Synchronous) job.PendingTrigger = AttemptTrigger.Sync;
                jobs.Add(new LeasedJob(job, w));
                jobRefs.Add(new JobRef(job.Id, w.Name, "pending"));
                continue;
            }
            skipped.Add(new SkippedWebhook(w.Name, decision.Message ?? decision.Outcome.ToString()));
            if (decision.Outcome == OutcomeKind.FilterFalse)
            {
                row.FilteredOut.Add(new FilteredWebhook(w.Id, w.Name));
                continue;
            }
            row.Outcomes.Add(new EventOutcome { EventId = row.Id, WebhookId = w.Id, WebhookName = w.Name, Kind = decision.Outcome, Message = decision.Message });
        }
        row.FilteredOutCount = row.FilteredOut.Count;
        row.FiredCount = jobRefs.Count;
        jobRefs.Sort((a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Webhook, b.Webhook));
        skipped.Sort((a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Webhook, b.Webhook));
        return new Prepared(e, row, jobs, new EventReply(row.Id, jobRefs, skipped));
    }

    /// <summary>The replies first given to events with these client ids inside the window.</summary>
    private static async Task<Dictionary<string, EventReply>> PreviousRepliesAsync(AppDbContext db, List<string> clientIds, DateTime since, CancellationToken ct)
    {
        var result = new Dictionary<string, EventReply>(StringComparer.Ordinal);
        if (clientIds.Count == 0) return result;
        var previous = await db.Events.AsNoTracking().Include(e => e.Outcomes)
            .Where(e => e.ClientId != null && clientIds.Contains(e.ClientId) && e.ReceivedAt >= since)
            .OrderByDescending(e => e.ReceivedAt).ToListAsync(ct);
        if (previous.Count == 0) return result; // the usual case: no second query inside the write gate
        var eventIds = previous.Select(e => (Guid?)e.Id).ToList();
        var jobs = (await db.WebhookJobs.AsNoTracking().Where(j => eventIds.Contains(j.EventId))
            .Select(j => new { j.EventId, j.Id, j.WebhookName, j.Status }).ToListAsync(ct)).ToLookup(j => j.EventId!.Value);
        foreach (var e in previous)
        {
            if (result.ContainsKey(e.ClientId!)) continue;
            result[e.ClientId!] = new EventReply(e.Id,
                jobs[e.Id].Select(j => new JobRef(j.Id, j.WebhookName, j.Status.ToString().ToLowerInvariant()))
                    .OrderBy(j => j.Webhook, StringComparer.OrdinalIgnoreCase).ToList(),
                e.Outcomes.Select(o => new SkippedWebhook(o.WebhookName, o.Message ?? o.Kind.ToString()))
                    .Concat(e.FilteredOut.Select(f => new SkippedWebhook(f.Name, EventMatcher.FilterFalseMessage)))
                    .OrderBy(s => s.Webhook, StringComparer.OrdinalIgnoreCase).ToList());
        }
        return result;
    }
}
