using WebhookConsole.Common;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Features.Webhooks;

/// <summary>
/// How a webhook's <c>signing</c> input lands on it: the scheme; the secret (write-only: replaced only when one is sent,
/// <c>""</c> clears it); a secret generated when a Standard Webhooks webhook is created without one (an HMAC secret is
/// returned once; github and jodoo secrets are the receiver's to choose, so those still need one); the
/// Ed25519 public key derived from its secret key. A person's change of scheme or secret ends a rotation's grace period:
/// from then on only the new secret signs.
/// </summary>
internal static class SigningRules
{
    /// <summary>Applies <paramref name="input"/>; returns the secret it generated (to show once), or null.</summary>
    public static string? Apply(Webhook w, SigningInput? input, bool creating, Dictionary<string, string[]> errors)
    {
        if (input is null && !creating) return null;
        var before = (w.SigningScheme, w.SigningSecret);
        if (input?.Scheme is not null || creating)
        {
            if (EnumNames.TryParse<SigningScheme>(input?.Scheme ?? "standard", out var scheme)) w.SigningScheme = scheme;
            else errors["signing.scheme"] = [$"The signing scheme is {EnumNames.Choices<SigningScheme>()}."];
        }
        if (input?.Secret is not null) w.SigningSecret = input.Secret.Length == 0 ? null : input.Secret.Trim();
        string? generated = null;
        if (creating && w.SigningScheme is SigningScheme.Standard or SigningScheme.StandardEd25519 && string.IsNullOrEmpty(w.SigningSecret) && input?.Secret is null)
        {
            w.SigningSecret = generated = SigningSecrets.Generate(w.SigningScheme);
        }
        if (w.SigningScheme == SigningScheme.None) w.SigningSecret = null;
        w.SigningPublicKey = w.SigningScheme == SigningScheme.StandardEd25519 ? SigningSecrets.PublicKeyOf(w.SigningSecret) : null;
        if (before != (w.SigningScheme, w.SigningSecret))
        {
            w.PreviousSigningSecret = null;
            w.PreviousSigningSecretUntil = null;
        }
        // An Ed25519 secret key stays inside: what a receiver needs is the public key, in every read.
        return w.SigningScheme == SigningScheme.StandardEd25519 ? null : generated;
    }
}
