using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Notifications;

/// <summary>What the system tells admins (a webhook disabled, a failure spike): listed in the app bar until read.</summary>
public sealed class NotificationService(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time)
{
    public async Task<(int Unread, List<Notification> Latest)> GetAsync(Actor actor, int take = 10, CancellationToken ct = default)
    {
        if (!actor.IsAdmin) return (0, []);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var unread = await db.Notifications.CountAsync(n => n.ReadAt == null, ct);
        var latest = await db.Notifications.AsNoTracking().OrderByDescending(n => n.At).ThenByDescending(n => n.Id).Take(take).ToListAsync(ct);
        return (unread, latest);
    }

    public async Task MarkAllReadAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(actor.IsAdmin, "dismiss notifications");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        await db.Notifications.Where(n => n.ReadAt == null).ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
    }
}
