using System.Collections.Concurrent;
using System.Security.Cryptography;
using NSec.Cryptography;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Dispatching.Sending;

public static class SigningSecrets
{
    public const string StandardPrefix = "whsec_";
    /// <summary>Standard Webhooks' asymmetric keys: <c>whsk_</c> + base64 of the 32-byte Ed25519 private key, <c>whpk_</c> + base64 of the public key.</summary>
    public const string SecretKeyPrefix = "whsk_";
    public const string PublicKeyPrefix = "whpk_";

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    /// <summary>Imported keys by secret (a handful of webhooks): importing costs more than signing.</summary>
    private static readonly ConcurrentDictionary<string, Key> Keys = new(StringComparer.Ordinal);

    /// <summary>
    /// Standard Webhooks: whsec_ + base64 of 32 random bytes. standard-ed25519: a new private key as whsk_. Others: 32
    /// random bytes as hex.
    /// </summary>
    public static string Generate(SigningScheme scheme) => scheme switch
    {
        SigningScheme.Standard => StandardPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        SigningScheme.StandardEd25519 => NewSecretKey(),
        _ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
    };

    public static bool TryDecodeStandard(string secret, out byte[] key) => TryDecode(secret, StandardPrefix, out key);

    /// <summary>The public key (<c>whpk_…</c>) of a <c>whsk_</c> secret key, or null when it is not one.</summary>
    public static string? PublicKeyOf(string? secretKey)
    {
        if (secretKey is null || KeyOf(secretKey) is not { } key) return null;
        return PublicKeyPrefix + Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>The Ed25519 signature of <paramref name="message"/> with a <c>whsk_</c> key.</summary>
    internal static byte[] SignEd25519(string secretKey, ReadOnlySpan<byte> message) =>
        Ed25519.Sign(KeyOf(secretKey) ?? throw new ArgumentException("Not a whsk_ Ed25519 secret key.", nameof(secretKey)), message);

    private static string NewSecretKey()
    {
        using var key = Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return SecretKeyPrefix + Convert.ToBase64String(key.Export(KeyBlobFormat.RawPrivateKey));
    }

    private static Key? KeyOf(string secretKey)
    {
        if (Keys.TryGetValue(secretKey, out var cached)) return cached;
        if (!TryDecode(secretKey, SecretKeyPrefix, out var raw) || raw.Length != 32) return null;
        if (!Key.TryImport(Ed25519, raw, KeyBlobFormat.RawPrivateKey, out var key)) return null;
        CryptographicOperations.ZeroMemory(raw);
        if (Keys.Count >= 1024) Keys.Clear();
        return Keys.GetOrAdd(secretKey, key!);
    }

    private static bool TryDecode(string secret, string prefix, out byte[] key)
    {
        key = [];
        if (!secret.StartsWith(prefix, StringComparison.Ordinal)) return false;
        try
        {
            key = Convert.FromBase64String(secret[prefix.Length..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static string NewCallbackSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
