using System.Security.Cryptography;
using System.Text;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Webhooks;

namespace WebhookConsole.Dispatching.Sending;

/// <summary>The signing schemes of API.md ("Receivers"), computed per attempt.</summary>
public static class Signing
{
    public sealed record Signed(string Url, List<HeaderEntry> Headers);

    /// <summary>Signs a body given as the UTF-8 bytes that will be sent (encoded once, for both the signature and the request).</summary>
    public static Signed Apply(SigningScheme scheme, string? secret, Guid jobId, string url, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var headers = new List<HeaderEntry>(3);
        if (scheme == SigningScheme.None || string.IsNullOrEmpty(secret)) return new Signed(url, headers);
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (scheme)
        {
            case SigningScheme.Standard:
            {
                // Standard Webhooks: HMAC-SHA256 of "id.timestamp.body", keyed by the base64 part of whsec_.
                SigningSecrets.TryDecodeStandard(secret, out var key);
                var id = jobId.ToString();
                using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
                hmac.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
                hmac.AppendData(body);
                var mac = hmac.GetHashAndReset();
                headers.Add(new("webhook-id", id));
                headers.Add(new("webhook-timestamp", timestamp));
                headers.Add(new("webhook-signature", "v1," + Convert.ToBase64String(mac)));
                break;
            }
            case SigningScheme.Github:
            {
                var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
                headers.Add(new("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(mac)));
                break;
            }
            case SigningScheme.Jodoo:
            {
                var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
                hash.AppendData(Encoding.UTF8.GetBytes($"{nonce}:"));
                hash.AppendData(body);
                hash.AppendData(Encoding.UTF8.GetBytes($":{secret}:{timestamp}"));
                var sha1 = hash.GetHashAndReset();
                headers.Add(new("X-JDY-Signature", Convert.ToHexStringLower(sha1)));
                headers.Add(new("X-JDY-DeliverId", jobId.ToString()));
                url += (url.Contains('?') ? "&" : "?") + $"timestamp={timestamp}&nonce={nonce}";
                break;
            }
        }
        return new Signed(url, headers);
    }
}
