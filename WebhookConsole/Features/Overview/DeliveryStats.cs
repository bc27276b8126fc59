using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Overview;

/// <summary>A chart's span: how far back, and how many minutes one bar holds.</summary>
public sealed record ChartRange(string Label, TimeSpan Window, int BucketMinutes)
{
    public static readonly ChartRange LastHour = new("Last hour", TimeSpan.FromHours(1), 1);
    public static readonly ChartRange LastDay = new("Last 24 hours", TimeSpan.FromHours(24), 15);
    public static readonly IReadOnlyList<ChartRange> All = [LastHour, LastDay];

    public string BarLabel => BucketMinutes == 1 ? "per minute" : $"per {BucketMinutes} minutes";
}

/// <summary>Attempts in one bar of a chart, by what they led to.</summary>
public sealed record DeliveryBucket(DateTime Start, int Succeeded, int Failed, int Retried)
{
    public int Total => Succeeded + Failed + Retried;
}

public sealed record DeliveryTotals(int Succeeded, int Failed, int Retried)
{
    public int Total => Succeeded + Failed + Retried;

    /// <summary>Share of attempts that delivered, or null when there was none.</summary>
    public double? SuccessRate => Total == 0 ? null : (double)Succeeded / Total;
}

/// <summary>A webhook whose attempts failed in the window, with how many.</summary>
public sealed record FailingWebhook(Guid Id, string Name, bool Enabled, int Succeeded, int Failed, int Retried)
{
    public int Failures => Failed + Retried;
    public double FailureRate => (double)Failures / Math.Max(1, Succeeded + Failures);
}

public sealed record OverviewSnapshot(DeliveryTotals Totals, BacklogSnapshot Backlog, IReadOnlyList<FailingWebhook> Failing,
    int UnreadNotifications, IReadOnlyList<Notification> Notifications, DateTime At);

/// <summary>
/// The overview's and the webhook page's figures, read from the per-minute counts (<see cref="DeliveryMinute"/>): a
/// day is at most 1,440 rows a webhook, whatever the number of jobs. Signed-in people only; notifications to admins.
/// </summary>
public sealed class DeliveryStats(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time)
{
    public const int FailingTake = 5;

    /// <summary>Bars of <paramref name="range"/>, oldest first, every bar present (zeros where nothing was sent).</summary>
    public async Task<IReadOnlyList<DeliveryBucket>> BucketsAsync(Actor actor, ChartRange range, Guid? webhookId = null, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageJobs, "see delivery figures");
        var (first, last) = Span(range);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var width = range.BucketMinutes;
        var rows = await Minutes(db, first, webhookId)
            .GroupBy(m => (m.Minute - first) / width)
            .Select(g => new { Bucket = g.Key, Succeeded = g.Sum(m => m.Succeeded), Failed = g.Sum(m => m.Failed), Retried = g.Sum(m => m.Retried) })
            .ToListAsync(ct);
        var byBucket = rows.ToDictionary(r => r.Bucket);
        var count = (int)((last - first) / width) + 1;
        return Enumerable.Range(0, count).Select(i => byBucket.TryGetValue(i, out var r)
            ? new DeliveryBucket(DeliveryMinute.StartOf(first + i * width), r.Succeeded, r.Failed, r.Retried)
            : new DeliveryBucket(DeliveryMinute.StartOf(first + i * width), 0, 0, 0)).ToList();
    }

    public async Task<OverviewSnapshot> OverviewAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageJobs, "see the overview");
        var now = time.GetUtcNow().UtcDateTime;
        var (first, _) = Span(ChartRange.LastDay);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var perWebhook = await Minutes(db, first, null)
            .GroupBy(m => m.WebhookId)
            .Select(g => new { WebhookId = g.Key, Succeeded = g.Sum(m => m.Succeeded), Failed = g.Sum(m => m.Failed), Retried = g.Sum(m => m.Retried) })
            .ToListAsync(ct);
        var totals = new DeliveryTotals(perWebhook.Sum(w => w.Succeeded), perWebhook.Sum(w => w.Failed), perWebhook.Sum(w => w.Retried));
        var worst = perWebhook.Where(w => w.Failed + w.Retried > 0).OrderByDescending(w => w.Failed + w.Retried).ThenBy(w => w.WebhookId).Take(FailingTake).ToList();
        var ids = worst.Select(w => w.WebhookId).ToList();
        var names = await db.Webhooks.AsNoTracking().Where(w => ids.Contains(w.Id)).Select(w => new { w.Id, w.Name, w.Enabled }).ToDictionaryAsync(w => w.Id, ct);
        var failing = worst.Select(w => names.TryGetValue(w.WebhookId, out var n)
            ? new FailingWebhook(w.WebhookId, n.Name, n.Enabled, w.Succeeded, w.Failed, w.Retried)
            : new FailingWebhook(w.WebhookId, "(deleted webhook)", false, w.Succeeded, w.Failed, w.Retried)).ToList();
        var backlog = await Backlog.ReadAsync(db, now, ct);
        var unread = 0;
        List<Notification> notifications = [];
        if (actor.IsAdmin)
        {
            unread = await db.Notifications.CountAsync(n => n.ReadAt == null, ct);
            notifications = await db.Notifications.AsNoTracking().OrderByDescending(n => n.At).ThenByDescending(n => n.Id).Take(5).ToListAsync(ct);
        }
        return new OverviewSnapshot(totals, backlog, failing, unread, notifications, now);
    }

    /// <summary>The first and last minute of a range, the first aligned to a bar so the bars stay put between refreshes.</summary>
    private (long First, long Last) Span(ChartRange range)
    {
        var last = DeliveryMinute.MinuteOf(time.GetUtcNow().UtcDateTime);
        var first = last - (long)range.Window.TotalMinutes + 1;
        first -= ((first % range.BucketMinutes) + range.BucketMinutes) % range.BucketMinutes;
        return (first, last);
    }

    private static IQueryable<DeliveryMinute> Minutes(AppDbContext db, long first, Guid? webhookId)
    {
        var rows = db.DeliveryMinutes.AsNoTracking().Where(m => m.Minute >= first);
        return webhookId is { } id ? rows.Where(m => m.WebhookId == id) : rows;
    }
}
