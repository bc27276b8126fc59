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
            OutcomeFilter.NoWebhook => q.Where(e => e.FiredCount == 0 && e.FilteredOutCount == 0 && !e.Outcomes.Any()),
            OutcomeFilter.Fired => q.Where(e => e.FiredCount > 0),
            OutcomeFilter.FilterFalse => q.Where(e => e.FilteredOutCount > 0),
            _ => q.Where(e => e.Outcomes.Any(o => o.Kind == (OutcomeKind)Enum.Parse(typeof(OutcomeKind), f.Outcome.ToString()))),
        };
        var total = await q.Take(CountCap + 1).CountAsync(ct);
        var rows = await q.OrderByDescending(e => e.ReceivedAt).ThenByDescending(e => e.Id)
            .Skip(f.Page * f.PageSize).Take(f.PageSize)
            .Select(e => new EventRow(e.Id, e.Type, e.Action, e.Kapp, e.Form, e.Source, e.ReceivedAt, e.ClientId,
                e.FiredCount, e.FiredCount + e.Outcomes.Count() + e.FilteredOutCount))
            .ToListAsync(ct);
        return (rows, total);
    }

    public async Task<EventDetail?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.Events.AsNoTracking().Include(x => x.Outcomes).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (e is null) return null;
        // Fired webhooks are their jobs (Event.Outcomes).
        var fired = await db.WebhookJobs.AsNoTracking().Where(j => j.EventId == id)
            .Select(j => new OutcomeView(j.WebhookId, j.WebhookName, OutcomeKind.Fired, null, j.Id, j.Status)).ToListAsync(ct);
        var outcomes = fired
            .Concat(e.Outcomes.Select(o => new OutcomeView(o.WebhookId, o.WebhookName, o.Kind, o.Message, null, null)))
            .Concat(e.FilteredOut.Select(f => new OutcomeView(f.Id, f.Name, OutcomeKind.FilterFalse, WebhookConsole.Events.EventMatcher.FilterFalseMessage, null, null)))
            .OrderBy(o => o.Kind == OutcomeKind.Fired ? 0 : 1).ThenBy(o => o.WebhookName)
            .ToList();
        return new EventDetail(e, outcomes);
    }
}
