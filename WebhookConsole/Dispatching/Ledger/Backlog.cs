using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Dispatching.Ledger;

/// <summary>
/// What waits to be delivered: the Pending jobs, and the earliest due time among those the lane should be sending
/// now (a disabled webhook's jobs are held, not late). Readiness, the overview and the metrics read it.
/// </summary>
public sealed record BacklogSnapshot(int Pending, DateTime? OldestDueAt)
{
    /// <summary>How long the oldest due delivery has waited; zero when nothing is due.</summary>
    public TimeSpan OldestDueAge(DateTime now) => OldestDueAt is { } due && due < now ? now - due : TimeSpan.Zero;
}

public static class Backlog
{
    /// <summary>
    /// Two reads of the partial index of Pending jobs (<c>Status</c> compared with a constant so SQLite uses it):
    /// a count, and the first due job of an enabled webhook in due order.
    /// </summary>
    public static async Task<BacklogSnapshot> ReadAsync(AppDbContext db, DateTime now, CancellationToken ct)
    {
        var pending = await db.WebhookJobs.CountAsync(j => j.Status == JobStatus.Pending, ct);
        var oldest = pending == 0 ? null : await db.WebhookJobs.AsNoTracking()
            .Where(j => j.Status == JobStatus.Pending && j.NextAttemptAt <= now)
            .Where(j => j.IsTest || !db.Webhooks.Any(w => w.Id == j.WebhookId && !w.Enabled))
            .OrderBy(j => j.NextAttemptAt)
            .Select(j => j.NextAttemptAt)
            .FirstOrDefaultAsync(ct);
        return new BacklogSnapshot(pending, oldest);
    }
}
