using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Events;

/// <summary>
/// The webhooks in memory, keyed by type and action, so matching an event never scans the table.
/// A change made through this process (<see cref="WebhookChanges"/>) is seen at once; changes made elsewhere (another instance,
/// a script on the database) are seen within <see cref="StampCheckInterval"/> through a cheap stamp query.
/// </summary>
public sealed class WebhookIndex(IDbContextFactory<AppDbContext> dbFactory, WebhookChanges changes, TimeProvider time)
{
    public static readonly TimeSpan StampCheckInterval = TimeSpan.FromSeconds(2);

    private sealed record Snapshot(FrozenDictionary<string, Webhook[]> ByEvent, (int Count, DateTime? MaxUpdated) Stamp, DateTime CheckedAt, long Version);

    private readonly SemaphoreSlim _reload = new(1, 1);
    private volatile Snapshot? _snapshot;
    /// <summary>The webhooks listening to a type and action (enabled or not: disabled ones are reported as such).</summary>
    public async ValueTask<IReadOnlyList<Webhook>> ForEventAsync(string type, string action, CancellationToken ct)
    {
        var snapshot = await CurrentAsync(ct);
        return snapshot.ByEvent.TryGetValue(Key(type, action), out var list) ? list : [];
    }

    private bool Fresh(Snapshot? s, DateTime now) =>
        s is not null && s.Version == changes.Version && now - s.CheckedAt < StampCheckInterval;

    private async ValueTask<Snapshot> CurrentAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var snapshot = _snapshot;
        if (Fresh(snapshot, now)) return snapshot!;

        await _reload.WaitAsync(ct);
        try
        {
            snapshot = _snapshot;
            if (Fresh(snapshot, now)) return snapshot!;
            // Read the version before the rows: a change committed while loading bumps it, and the next call reloads.
            var version = changes.Version;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var stamp = await StampAsync(db, ct);
            if (snapshot is not null && snapshot.Version == version && stamp == snapshot.Stamp)
            {
                _snapshot = snapshot with { CheckedAt = now };
                return _snapshot;
            }
            var all = await db.Webhooks.AsNoTracking().ToListAsync(ct);
            var byEvent = all.GroupBy(w => Key(w.Type, w.Event)).ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.OrdinalIgnoreCase);
            _snapshot = new Snapshot(byEvent, stamp, now, version);
            return _snapshot;
        }
        finally
        {
            _reload.Release();
        }
    }

    private static async Task<(int, DateTime?)> StampAsync(AppDbContext db, CancellationToken ct)
    {
        var stamp = await db.Webhooks.GroupBy(_ => 1).Select(g => new { Count = g.Count(), Max = g.Max(w => (DateTime?)w.UpdatedAt) }).FirstOrDefaultAsync(ct);
        return stamp is null ? (0, null) : (stamp.Count, stamp.Max);
    }

    private static string Key(string type, string action) => type + "\u001f" + action;
}
