using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Postgres;
using WebhookConsole.Data.Search;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Filtering;
using WebhookConsole.Http;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Jobs;


/// <summary>
/// The webhook jobs console's reads and actions, for the pages and the API alike. Lists are newest first
/// with keyset paging over (CreatedAt, Id), which the indexes serve at any depth.
/// </summary>
public sealed class JobsService(IDbContextFactory<AppDbContext> dbFactory, IDeliveryQueue queue, IFilterEvaluator filters, AuditLog audit, DatabaseSettings database, TimeProvider time)
{
    public const int MaxLimit = 500;

    /// <summary>The webhooks to filter jobs by, by name (the jobs console's own read: it needs no webhook service).</summary>
    public async Task<IReadOnlyList<WebhookChoice>> WebhookChoicesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Webhooks.AsNoTracking().OrderBy(w => w.Name).Select(w => new WebhookChoice(w.Id, w.Name)).Take(MaxLimit).ToListAsync(ct);
    }

    public async Task<JobPage> ListAsync(JobQuery q, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var limit = Math.Clamp(q.Limit, 1, MaxLimit);
        List<JobRow>? rows = null;
        // Text search reads the word index first (across all history). Text that starts or ends inside a word is not
        // in it (nor, on SQLite, is anything while the index file is missing or being built), so when the index finds
        // nothing the default window is scanned for the text as well: slower, but bounded.
        if (IsIndexedSearch(q))
        {
            if (!database.IsSqlite) rows = await ListQuery(db, q, limit + 1, indexed: true).ToListAsync(ct);
            else if (await JobSearch.TryAttachAsync(db, ct))
            {
                try { rows = await ListQuery(db, q, limit + 1, indexed: true).ToListAsync(ct); }
                finally { await JobSearch.DetachAsync(db); }
            }
            if (rows is { Count: 0 }) rows = null;
        }
        rows ??= await ListQuery(db, q, limit + 1).ToListAsync(ct);
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        return new JobPage(rows, more ? JobFilter.EncodeToken(rows[^1].CreatedAt, rows[^1].Id) : null);
    }

    /// <summary>
    /// The page query itself (its plan is asserted by the tests: index order, no table scan). An indexed text
    /// search needs the index attached (<see cref="JobSearch.TryAttachAsync"/>).
    /// </summary>
    internal IQueryable<JobRow> ListQuery(AppDbContext db, JobQuery q, int take, bool indexed = false)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // The word index (FTS5 on SQLite, tsvector on PostgreSQL) narrows; the exact text is then checked on the
        // candidates, as LIKE with its own characters escaped on PostgreSQL.
        var tailSince = q.From ?? now - JobFilter.DefaultSearchWindow;
        var source = !indexed || !IsIndexedSearch(q) ? db.WebhookJobs
            : database.IsSqlite ? db.JobsMatching(JobSearch.Phrase(q.Text!.Trim())!, tailSince)
            : PostgresQueries.JobsMatching(db, q.Text!.Trim(), tailSince);
        var query = JobFilter.Apply(source.AsNoTracking(), q, now, database.IsSqlite, window: !(indexed && IsIndexedSearch(q)));
        if (JobFilter.DecodeToken(q.PageToken) is { } after)
        {
            query = query.Where(j => j.CreatedAt < after.CreatedAt || (j.CreatedAt == after.CreatedAt && j.Id.CompareTo(after.Id) < 0));
        }
        return query.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(take)
            .Select(j => new JobRow(j.Id, j.WebhookId, j.WebhookName, j.EventId, j.EventType, j.EventAction, j.Status, j.Summary, j.AttemptCount,
                j.Url, j.CreatedAt, j.NextAttemptAt, j.CompletedAt, j.OriginalRequestBody != null || j.OriginalUrl != null));
    }

    private static bool IsIndexedSearch(JobQuery q) => !string.IsNullOrWhiteSpace(q.Text) && JobSearch.Phrase(q.Text.Trim()) is not null;

    /// <summary>A webhook's last 24 hours: finished jobs and how many succeeded.</summary>
    public async Task<(int Finished, int Succeeded)> SuccessRateAsync(Guid webhookId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var since = time.GetUtcNow().UtcDateTime.AddHours(-24);
        var counts = await db.WebhookJobs.Where(j => j.WebhookId == webhookId && j.CreatedAt >= since && !j.IsTest
                && (j.Status == JobStatus.Succeeded || j.Status == JobStatus.Failed || j.Status == JobStatus.Abandoned))
            .GroupBy(j => j.Status == JobStatus.Succeeded).Select(g => new { Ok = g.Key, Count = g.Count() }).ToListAsync(ct);
        return (counts.Sum(c => c.Count), counts.Where(c => c.Ok).Sum(c => c.Count));
    }

    /// <summary>Counts per tab, capped: past the cap a count costs more than it tells.</summary>
    public async Task<(int All, int Failures, int Pending)> CountsAsync(int cap = 10_000, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.WebhookJobs.Take(cap + 1).CountAsync(ct);
        var failures = await db.WebhookJobs.Where(j => j.Status != JobStatus.Succeeded && j.Status == JobStatus.Failed).Take(cap + 1).CountAsync(ct);
        var pending = await db.WebhookJobs.Where(j => j.Status != JobStatus.Succeeded && (j.Status == JobStatus.Pending || j.Status == JobStatus.Received)).Take(cap + 1).CountAsync(ct);
        return (all, failures, pending);
    }

    public async Task<WebhookJob?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WebhookJobs.AsNoTracking().Include(j => j.Attempts).FirstOrDefaultAsync(j => j.Id == id, ct);
    }

    /// <summary>
    /// Sends the job again now. With a URL or body, an edited retry that keeps the original request. An edit may
    /// change the path and query but never the origin (scheme, host, port): the attempt carries the webhook's
    /// headers and signature, so a new origin would hand them to whoever the editor chose. Moving a webhook is
    /// an edit of the webhook, after which <see cref="RetryRequest.UseCurrentWebhook"/> renders the job anew.
    /// </summary>
    public async Task<ActionResult> RetryAsync(Actor actor, Guid id, RetryRequest? edit = null, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageJobs, "retry jobs");
        var url = string.IsNullOrWhiteSpace(edit?.Url) ? null : edit.Url.Trim();
        var body = edit?.Body;
        if (edit is { UseCurrentWebhook: true } && url is not null)
        {
            return new(ActionStatus.Invalid, "Send either a new url or useCurrentWebhook, not both: the current webhook's URL is rendered from its definition.");
        }
        if (url is not null && OutboundUrl.Check(url) is { } urlError) return new(ActionStatus.Invalid, urlError);
        if (body is not null && ValidateJson(body) is { } jsonError) return new(ActionStatus.Invalid, jsonError);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.WebhookJobs.FirstOrDefaultAsync(j => j.Id == id, ct);
        if (job is null) return new(ActionStatus.NotFound, $"There is no job {id}.");
        if (JobLifecycle.RetryRefusal(job, time.GetUtcNow().UtcDateTime) is { } inFlight) return new(ActionStatus.Conflict, inFlight);
        if (url is not null && !OutboundUrl.SameOrigin(url, job.OriginalUrl ?? job.Url))
        {
            return new(ActionStatus.Invalid,
                $"An edited retry may change the path and query only; the origin stays {OutboundUrl.Origin(job.OriginalUrl ?? job.Url)}. " +
                "To deliver somewhere else, edit the webhook's URL, then retry with the webhook's current settings.");
        }
        var before = new Dictionary<string, string?> { ["url"] = job.Url, ["body"] = job.RequestBody, ["status"] = job.Status.ToString() };
        string action;
        var edited = false;
        if (edit is { UseCurrentWebhook: true })
        {
            var webhook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == job.WebhookId, ct);
            if (webhook is null) return new(ActionStatus.Conflict, "The webhook was deleted; its current settings cannot be used.");
            var rendered = await RenderCurrentUrlAsync(db, job, webhook, ct);
            if (rendered.Error is not null) return new(ActionStatus.Invalid, rendered.Error);
            job.OriginalUrl ??= job.Url;
            job.OriginalRequestBody ??= job.RequestBody;
            job.Url = rendered.Url!;
            job.RequestHeaders = JobRequest.Headers(webhook);
            if (body is not null) job.RequestBody = body;
            edited = true;
            action = "retried with the webhook's current settings";
        }
        else if ((url is not null && url != job.Url) || (body is not null && body != job.RequestBody))
        {
            job.OriginalUrl ??= job.Url;
            job.OriginalRequestBody ??= job.RequestBody;
            if (url is not null) job.Url = url;
            if (body is not null) job.RequestBody = body;
            edited = true;
            action = "edited and retried";
        }
        else
        {
            action = "retried";
        }
        audit.Record(db, actor, "Job", job.Id.ToString(), job.WebhookName, action, before,
            new Dictionary<string, string?> { ["url"] = job.Url, ["body"] = job.RequestBody, ["status"] = nameof(JobStatus.Pending) });
        JobLifecycle.Retry(job, edited, actor.Name, time.GetUtcNow().UtcDateTime);
        if (!await JobLifecycle.SaveUnlessTakenUpAsync(db, ct)) return new(ActionStatus.Conflict, JobLifecycle.ChangedMeanwhile);
        queue.Enqueue([job.Id]);
        var held = await db.Webhooks.AnyAsync(w => w.Id == job.WebhookId && !w.Enabled, ct);
        var what = edited ? "Edited and queued" : "Queued";
        return new(ActionStatus.Ok, held ? $"{what}; the webhook is disabled, so it is held until the webhook is enabled." : $"{what} for delivery now.");
    }

    /// <summary>The webhook's URL template rendered again over the job's event, as ingestion rendered it.</summary>
    private async Task<(string? Url, string? Error)> RenderCurrentUrlAsync(AppDbContext db, WebhookJob job, Webhook webhook, CancellationToken ct)
    {
        var e = job.EventId is { } eventId ? await db.Events.AsNoTracking().FirstOrDefaultAsync(x => x.Id == eventId, ct) : null;
        if (e is null && UrlTemplate.Parse(webhook.Url, out _).Any(p => p.IsExpression))
        {
            return (null, "The job's event is no longer stored, so the webhook's URL template cannot be rendered for it.");
        }
        var bindings = e is null
            ? ScriptBindings.FromJson(job.EventType, job.EventAction, "{}")
            : ScriptBindings.FromJson(e.Type, e.Action, e.ContextJson, e.Kapp, e.Form, e.Source.ToString().ToLowerInvariant());
        var rendered = filters.RenderTemplate(webhook.Url, bindings);
        if (rendered.Error is not null) return (null, $"The webhook's URL template failed for this job's event: {rendered.Error}");
        return OutboundUrl.Check(rendered.Value!) is { } invalid ? (null, $"The webhook's URL rendered as an unusable URL: {invalid}") : (rendered.Value, null);
    }

    public async Task<ActionResult> AbandonAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageJobs, "abandon jobs");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.WebhookJobs.FirstOrDefaultAsync(j => j.Id == id, ct);
        if (job is null) return new(ActionStatus.NotFound, $"There is no job {id}.");
        if (JobLifecycle.AbandonRefusal(job) is { } refusal) return new(ActionStatus.Conflict, refusal);
        var now = time.GetUtcNow().UtcDateTime;
        audit.Record(db, actor, "Job", job.Id.ToString(), job.WebhookName, "abandoned",
            new Dictionary<string, string?> { ["status"] = job.Status.ToString() }, new Dictionary<string, string?> { ["status"] = nameof(JobStatus.Abandoned) });
        JobLifecycle.Abandon(job, actor.Name, now);
        if (!await JobLifecycle.SaveUnlessTakenUpAsync(db, ct)) return new(ActionStatus.Conflict, JobLifecycle.ChangedMeanwhile);
        return new(ActionStatus.Ok, "Abandoned.");
    }

    /// <summary>Retries every job matching the filter (default: the failures), in batches. Returns how many.</summary>
    public async Task<int> RetryManyAsync(Actor actor, JobQuery filter, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageJobs, "retry jobs");
        var q = filter.Status is null && filter.Statuses is null ? filter with { Status = JobStatus.Failed } : filter;
        if (BulkRetryRefusal(q) is { } refusal) throw new InvalidOperationException(refusal);
        var total = 0;
        // Walk the matching jobs once, oldest first, by (CreatedAt, Id): a retried job that fails again
        // at once is behind the cursor and is not retried a second time by the same run.
        DateTime? afterAt = null;
        var afterId = Guid.Empty;
        while (!ct.IsCancellationRequested)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = time.GetUtcNow().UtcDateTime;
            var candidates = JobFilter.Apply(db.WebhookJobs, q, now, database.IsSqlite);
            if (afterAt is { } at) candidates = candidates.Where(j => j.CreatedAt > at || (j.CreatedAt == at && j.Id.CompareTo(afterId) > 0));
            var batch = await candidates.OrderBy(j => j.CreatedAt).ThenBy(j => j.Id).Select(j => new { j.Id, j.CreatedAt, j.Status }).Take(500).ToListAsync(ct);
            if (batch.Count == 0) break;
            (afterAt, afterId) = (batch[^1].CreatedAt, batch[^1].Id);
            // A Pending job is already on its way (or in flight); it is not sent twice.
            var ids = batch.Where(j => j.Status != JobStatus.Pending).Select(j => j.Id).ToList();
            if (ids.Count == 0) continue;
            await db.WebhookJobs.Where(j => ids.Contains(j.Id) && j.Status != JobStatus.Pending).ExecuteUpdateAsync(s => JobLifecycle.Retry(s, actor.Name, now), ct);
            queue.Enqueue(ids);
            total += ids.Count;
            progress?.Report(total);
        }
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            audit.Record(db, actor, "Job", null, filter.WebhookId?.ToString(), $"bulk retried {total} jobs");
            await db.SaveChangesAsync(CancellationToken.None);
        }
        return total;
    }

    /// <summary>
    /// Why a bulk retry is refused, or null: one that takes in succeeded jobs needs a time range, or it would
    /// send the whole delivered history again.
    /// </summary>
    public static string? BulkRetryRefusal(JobQuery q)
    {
        var succeeded = q.Status == JobStatus.Succeeded || q.Statuses?.Contains(JobStatus.Succeeded) == true;
        return succeeded && (q.From is null || q.To is null)
            ? "Retrying succeeded jobs resends deliveries that already arrived: give both from and to to say which."
            : null;
    }

    /// <summary>Abandons every job matching the filter (default: the failures) — Jodoo's "abandon the failed cache".</summary>
    public async Task<int> AbandonManyAsync(Actor actor, JobQuery filter, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageJobs, "abandon jobs");
        var q = filter.Status is null && filter.Statuses is null ? filter with { Status = JobStatus.Failed } : filter;
        var total = 0;
        while (!ct.IsCancellationRequested)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = time.GetUtcNow().UtcDateTime;
            var ids = await JobFilter.Apply(db.WebhookJobs, q, now, database.IsSqlite).Where(j => JobLifecycle.Abandonable.Contains(j.Status))
                .Select(j => j.Id).Take(500).ToListAsync(ct);
            if (ids.Count == 0) break;
            await db.WebhookJobs.Where(j => ids.Contains(j.Id)).ExecuteUpdateAsync(s => JobLifecycle.Abandon(s, null, now), ct);
            total += ids.Count;
            progress?.Report(total);
        }
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            audit.Record(db, actor, "Job", null, filter.WebhookId?.ToString(), $"bulk abandoned {total} jobs");
            await db.SaveChangesAsync(CancellationToken.None);
        }
        return total;
    }

    private static string? ValidateJson(string body)
    {
        try
        {
            using var _ = JsonDocument.Parse(body);
            return null;
        }
        catch (JsonException ex)
        {
            return $"The body is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}): {ex.Message.Split(" Path:")[0]}";
        }
    }

}
