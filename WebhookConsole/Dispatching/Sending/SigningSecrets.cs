using System.Security.Cryptography;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Dispatching.Sending;

public static class SigningSecrets
{
    public const string StandardPrefix = "whsec_";

    /// <summary>Standard Webhooks: whsec_ + base64 of 32 random bytes. Others: 32 random bytes as hex.</summary>
    public static string Generate(SigningScheme scheme) => scheme == SigningScheme.Standard
        ? StandardPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static bool TryDecodeStandard(string secret, out byte[] key)
    {
        key = [];
        if (!secret.StartsWith(StandardPrefix, StringComparison.Ordinal)) return false;
        try
        {
            key = Convert.FromBase64String(secret[StandardPrefix.Length..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static string NewCallbackSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
