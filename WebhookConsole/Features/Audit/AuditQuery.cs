using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Audit;

public sealed record AuditFilter(string? EntityType = null, string? Actor = null, string? Search = null, DateTime? From = null, DateTime? To = null, int Page = 0, int PageSize = 50);

public sealed class AuditQuery(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<(List<AuditEntry> Items, int Total)> ListAsync(Actor actor, AuditFilter f, CancellationToken ct = default)
    {
        actor.Require(actor.IsAdmin, "read the audit log");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrEmpty(f.EntityType)) q = q.Where(a => a.EntityType == f.EntityType);
        if (!string.IsNullOrWhiteSpace(f.Actor)) q = q.Where(a => a.Actor.Contains(f.Actor));
        if (!string.IsNullOrWhiteSpace(f.Search)) q = q.Where(a => (a.EntityName ?? "").Contains(f.Search) || a.Action.Contains(f.Search));
        if (f.From is { } from) q = q.Where(a => a.At >= from);
        if (f.To is { } to) q = q.Where(a => a.At < to);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Skip(f.Page * f.PageSize).Take(f.PageSize).ToListAsync(ct);
        return (items, total);
    }
}
