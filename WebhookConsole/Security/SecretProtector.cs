using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Security;

/// <summary>
/// Secrets at rest (ARCHITECTURE.md decision 6): signing secrets, callback secrets and secret header values are stored
/// as ASP.NET Core Data Protection ciphertext, under a key ring kept in the database; only the sender, the callback
/// check and an admin's editor ever see the plain value, in memory.
/// </summary>
/// <remarks>
/// Stored values carry a prefix, so a value written before encryption existed is recognised (and migrated at
/// start-up by <see cref="SecretsMigration"/>). Revealed values are cached per ciphertext: every delivery attempt
/// needs its webhook's secret, and the ciphertext changes whenever the secret does.
/// </remarks>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    public const string Prefix = "dp1:";
    private const int MaxCached = 10_000;

    private readonly IDataProtector _protector = provider.CreateProtector("WebhookConsole.Secrets.v1");
    private readonly ConcurrentDictionary<string, string> _revealed = new(StringComparer.Ordinal);

    public static bool IsProtected(string? stored) => stored is not null && stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The value to store; null and "" stay as they are, an already protected value is kept.</summary>
    public string? Protect(string? plain) =>
        string.IsNullOrEmpty(plain) || IsProtected(plain) ? plain : Prefix + _protector.Protect(plain);

    /// <summary>The plain value of a stored one (a legacy plain value is returned as it is).</summary>
    public string? Reveal(string? stored)
    {
        if (!IsProtected(stored)) return stored;
        if (_revealed.TryGetValue(stored!, out var plain)) return plain;
        try
        {
            plain = _protector.Unprotect(stored![Prefix.Length..]);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException(
                "A stored secret cannot be decrypted: the Data Protection key ring in the database is not the one it was written with " +
                "(restore the DataProtectionKeys table from the same backup as the webhooks, or set the secret again).", ex);
        }
        if (_revealed.Count >= MaxCached) _revealed.Clear();
        _revealed[stored!] = plain;
        return plain;
    }

    /// <summary>A webhook's secrets encrypted in place (a value already encrypted is left alone).</summary>
    public void ProtectSecrets(Webhook w)
    {
        w.SigningSecret = Protect(w.SigningSecret);
        w.PreviousSigningSecret = Protect(w.PreviousSigningSecret);
        w.CallbackSecret = Protect(w.CallbackSecret);
        w.Headers = w.Headers.Select(h => h.Secret ? h with { Value = Protect(h.Value) ?? "" } : h).ToList();
    }

    /// <summary>A webhook's secrets decrypted in place, for an edit that validates and saves it again.</summary>
    public void RevealSecrets(Webhook w)
    {
        w.SigningSecret = Reveal(w.SigningSecret);
        w.PreviousSigningSecret = Reveal(w.PreviousSigningSecret);
        w.CallbackSecret = Reveal(w.CallbackSecret);
        w.Headers = w.Headers.Select(h => h.Secret ? h with { Value = Reveal(h.Value) ?? "" } : h).ToList();
    }
}

/// <summary>Which header names hold credentials, so their values are secret unless the admin says otherwise.</summary>
public static class CredentialHeaders
{
    private static readonly string[] Fragments = ["key", "token", "secret", "password", "passwd", "signature", "credential", "session"];

    public static bool IsCredentialLike(string name) =>
        name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Cookie", StringComparison.OrdinalIgnoreCase)
        || name.Contains("auth", StringComparison.OrdinalIgnoreCase)
        || Fragments.Any(f => name.Contains(f, StringComparison.OrdinalIgnoreCase));
}
