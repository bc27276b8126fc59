using System.Security.Cryptography;
using System.Text;

namespace WebhookConsole.Security;

public static class ApiKeyHasher
{
    private const string KeyPrefix = "wck_";

    /// <summary>A new key: <c>wck_</c> + 32 random bytes, base64url. Shown once, stored only as its hash.</summary>
    public static string NewKey() =>
        KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string PrefixOf(string key) => key.Length <= 10 ? key[..Math.Min(4, key.Length)] : key[..10];
}
