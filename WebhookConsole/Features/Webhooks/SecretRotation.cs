using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Common;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Webhooks;

/// <summary>What a rotation gives back: the new secret (once), or the new public key for standard-ed25519.</summary>
public sealed record RotationResult(SaveStatus Status, string? Message, string? Secret = null, string? PublicKey = null, DateTime? PreviousValidUntil = null, string? Note = null);

/// <summary>
/// Rotates a webhook's signing secret. Standard Webhooks (HMAC or Ed25519) with an overlap: for the grace period every
/// delivery carries a signature with the new secret and one with the old, so a receiver verifying with either accepts
/// it while its configuration is updated; then the old one is gone. github and jodoo sign with one secret only, so the
/// new one replaces the old at once, and the reply says so.
/// </summary>
public sealed class SecretRotation(IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, WebhookChanges changes, SecretProtector secrets, TimeProvider time)
{
    public const double DefaultGraceHours = 24;
    public const double MaxGraceHours = 7 * 24;

    public async Task<RotationResult> RotateAsync(Actor actor, Guid id, double? graceHours, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageWebhooks, "rotate signing secrets");
        var grace = graceHours ?? DefaultGraceHours;
        if (double.IsNaN(grace) || grace is < 0 or > MaxGraceHours)
        {
            return new(SaveStatus.Invalid, $"graceHours is between 0 (no overlap) and {MaxGraceHours:0} (a week); the default is {DefaultGraceHours:0}.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var w = await db.Webhooks.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (w is null) return new(SaveStatus.NotFound, $"There is no webhook {id}.");
        if (w.SigningScheme == SigningScheme.None) return new(SaveStatus.Invalid, "This webhook is not signed (scheme none): there is no secret to rotate.");

        var now = time.GetUtcNow().UtcDateTime;
        var secret = SigningSecrets.Generate(w.SigningScheme);
        var overlap = w.SigningScheme is SigningScheme.Standard or SigningScheme.StandardEd25519 && grace > 0 && w.SigningSecret is not null;
        DateTime? until = overlap ? now.AddHours(grace) : null;
        w.PreviousSigningSecret = overlap ? w.SigningSecret : null; // still encrypted as stored
        w.PreviousSigningSecretUntil = until;
        w.SigningSecret = secrets.Protect(secret);
        w.SigningPublicKey = w.SigningScheme == SigningScheme.StandardEd25519 ? SigningSecrets.PublicKeyOf(secret) : null;
        w.UpdatedAt = now;
        w.UpdatedBy = actor.Name;
        w.Version++;
        var note = w.SigningScheme is SigningScheme.Github or SigningScheme.Jodoo
            ? $"{EnumNames.Format(w.SigningScheme)} signs with one secret only: the new secret applies from the next delivery. Update the receiver now."
            : until is null ? "No overlap: only the new secret signs from the next delivery." : null;
        audit.Record(db, actor, "Webhook", w.Id.ToString(), w.Name, "signing secret rotated",
            new Dictionary<string, string?> { ["signing.secret"] = "(previous)" },
            new Dictionary<string, string?>
            {
                ["signing.secret"] = w.SigningScheme == SigningScheme.StandardEd25519 ? w.SigningPublicKey : AuditLog.MaskSecret(secret),
                ["previousValidUntil"] = until?.ToString("u"),
            });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return new(SaveStatus.Conflict, "The webhook changed while the secret was being rotated; nothing was changed. Try again.");
        }
        changes.Changed();
        return w.SigningScheme == SigningScheme.StandardEd25519
            ? new(SaveStatus.Ok, null, PublicKey: w.SigningPublicKey, PreviousValidUntil: until, Note: note)
            : new(SaveStatus.Ok, null, Secret: secret, PreviousValidUntil: until, Note: note);
    }
}
