using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Features.Events;

/// <summary>"No webhook listened" is an outcome too: the event matched nothing.</summary>
public enum OutcomeFilter { Any, Fired, FilterFalse, FilterError, WebhookDisabled, SourceNotIncluded, UrlTemplateError, NoWebhook }

public sealed record EventFilter(string? Type = null, string? Action = null, string? Kapp = null, string? Form = null,
    DateTime? From = null, DateTime? To = null, OutcomeFilter Outcome = OutcomeFilter.Any, int Page = 0, int PageSize = 25);

public sealed record EventRow(Guid Id, string Type, string Action, string? Kapp, string? Form, EventSource Source, DateTime ReceivedAt, string? ClientId, int Fired, int Considered);

public sealed record OutcomeView(Guid WebhookId, string WebhookName, OutcomeKind Kind, string? Message, Guid? JobId, JobStatus? JobStatus);

public sealed record EventDetail(Event Event, IReadOnlyList<OutcomeView> Outcomes);

public sealed class EventsQuery(IDbContextFactory<AppDbContext> dbFactory)
{
    /// <summary>Counting past this many rows costs more than it tells; the pager says "of 10,000+".</summary>
    public const int CountCap = 10_000;

    public async Task<(List<EventRow> Rows, int Total)> ListAsync(EventFilter f, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Events.AsNoTracking();
        if (!string.IsNullOrEmpty(f.Type)) q = q.Where(e => e.Type == f.Type);
        if (!string.IsNullOrEmpty(f.Action)) q = q.Where(e => e.Action == f.Action);
        if (!string.IsNullOrWhiteSpace(f.Kapp)) q = q.Where(e => e.Kapp == f.Kapp.Trim());
        if (!string.IsNullOrWhiteSpace(f.Form)) q = q.Where(e => e.Form == f.Form.Trim());
        if (f.From is { } from) q = q.Where(e => e.ReceivedAt >= from);
        if (f.To is { } to) q = q.Where(e => e.ReceivedAt < to);
        q = f.Outcome switch
        {
            OutcomeFilter.Any => q,
            OutcomeFilter.NoWebhook => q.Where(e => e.FilteredOutCount == 0 && !e.Outcomes.Any()),
            // Events stored before FilteredOut existed keep their filter-false outcomes as rows.
            OutcomeFilter.FilterFalse => q.Where(e => e.FilteredOutCount > 0 || e.Outcomes.Any(o => o.Kind == OutcomeKind.FilterFalse)),
            _ => q.Where(e => e.Outcomes.Any(o => o.Kind == (OutcomeKind)Enum.Parse(typeof(OutcomeKind), f.Outcome.ToString()))),
        };
        var total = await q.Take(CountCap + 1).CountAsync(ct);
        var rows = await q.OrderByDescending(e => e.ReceivedAt).ThenByDescending(e => e.Id)
            .Skip(f.Page * f.PageSize).Take(f.PageSize)
            .Select(e => new EventRow(e.Id, e.Type, e.Action, e.Kapp, e.Form, e.Source, e.ReceivedAt, e.ClientId,
                e.Outcomes.Count(o => o.Kind == OutcomeKind.Fired), e.Outcomes.Count() + e.FilteredOutCount))
            .ToListAsync(ct);
        return (rows, total);
    }

    public async Task<EventDetail?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.Events.AsNoTracking().Include(x => x.Outcomes).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (e is null) return null;
        var jobIds = e.Outcomes.Where(o => o.JobId != null).Select(o => o.JobId!.Value).ToList();
        var statuses = await db.WebhookJobs.AsNoTracking().Where(j => jobIds.Contains(j.Id)).ToDictionaryAsync(j => j.Id, j => j.Status, ct);
        var outcomes = e.Outcomes
            .Select(o => new OutcomeView(o.WebhookId, o.WebhookName, o.Kind, o.Message, o.JobId,
                o.JobId is { } j && statuses.TryGetValue(j, out var s) ? s : null))
            .Concat(e.FilteredOut.Select(f => new OutcomeView(f.Id, f.Name, OutcomeKind.FilterFalse, WebhookConsole.Events.EventMatcher.FilterFalseMessage, null, null)))
            .OrderBy(o => o.Kind == OutcomeKind.Fired ? 0 : 1).ThenBy(o => o.WebhookName)
            .ToList();
        return new EventDetail(e, outcomes);
    }
}
