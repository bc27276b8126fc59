using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Security;

/// <summary>
/// Start-up, after the schema migrations: encrypts secrets written before they were encrypted, marks credential-like
/// headers (Authorization, *token*, *key*...) of those webhooks secret, and masks those headers' values where they
/// were copied in clear (jobs, attempts, audit snapshots). Nothing to do, and two cheap queries, once it has run.
/// </summary>
public sealed class SecretsMigration(IDbContextFactory<AppDbContext> dbFactory, SecretProtector secrets, ILogger<SecretsMigration> logger)
{
    private const int Batch = 500;

    public async Task RunAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhooks = await db.Webhooks.ToListAsync(ct);
        var migrated = 0;
        foreach (var w in webhooks)
        {
            var plainHeaders = w.Headers.Where(h => (h.Secret && !SecretProtector.IsProtected(h.Value)) || (!h.Secret && CredentialHeaders.IsCredentialLike(h.Name))).ToList();
            var plainSecrets = (w.SigningSecret is { Length: > 0 } && !SecretProtector.IsProtected(w.SigningSecret))
                || (w.CallbackSecret is { Length: > 0 } && !SecretProtector.IsProtected(w.CallbackSecret));
            if (plainHeaders.Count == 0 && !plainSecrets) continue;
            var names = plainHeaders.Select(h => h.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            w.Headers = w.Headers.Select(h => names.Contains(h.Name) ? h with { Secret = true } : h).ToList();
            secrets.ProtectSecrets(w);
            await db.SaveChangesAsync(ct);
            if (names.Count > 0) await MaskCopiesAsync(db, w.Id, names, ct);
            migrated++;
        }
        if (migrated > 0) logger.LogWarning("Encrypted the secrets of {Count} webhooks written before secrets were encrypted at rest.", migrated);
    }

    private static async Task MaskCopiesAsync(AppDbContext db, Guid webhookId, HashSet<string> names, CancellationToken ct)
    {
        List<HeaderEntry> Mask(List<HeaderEntry> headers) =>
            headers.Select(h => names.Contains(h.Name) ? new HeaderEntry(h.Name, HeaderEntry.Masked, true) : h).ToList();

        for (var skip = 0; ; skip += Batch)
        {
            var jobs = await db.WebhookJobs.Where(j => j.WebhookId == webhookId).OrderBy(j => j.Id).Skip(skip).Take(Batch).ToListAsync(ct);
            if (jobs.Count == 0) break;
            foreach (var j in jobs) j.RequestHeaders = Mask(j.RequestHeaders);
            var ids = jobs.Select(j => j.Id).ToList();
            var attempts = await db.JobAttempts.Where(a => ids.Contains(a.JobId)).ToListAsync(ct);
            foreach (var a in attempts) a.RequestHeaders = Mask(a.RequestHeaders);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
        var id = webhookId.ToString();
        var entries = await db.AuditEntries.Where(e => e.EntityType == "Webhook" && e.EntityId == id).ToListAsync(ct);
        foreach (var e in entries)
        {
            e.Changes = e.Changes.Select(c => c.Field == "headers" ? c with { Old = MaskSnapshot(c.Old, names), New = MaskSnapshot(c.New, names) } : c).ToList();
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>An audit snapshot's "Name: value; Name: value" with the named headers' values masked.</summary>
    private static string? MaskSnapshot(string? snapshot, HashSet<string> names) => snapshot is null ? null : string.Join("; ",
        snapshot.Split("; ").Select(pair => pair.IndexOf(':') is var colon and > 0 && names.Contains(pair[..colon]) ? $"{pair[..colon]}: {HeaderEntry.Masked}" : pair));
}
