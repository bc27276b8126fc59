using System.Security.Cryptography;
using System.Text;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Dispatching.Sending;

/// <summary>The signing schemes of API.md ("Receivers"), computed per attempt.</summary>
public static class Signing
{
    public sealed record Signed(string Url, List<HeaderEntry> Headers);

    public const string WebhookId = "webhook-id";
    public const string WebhookTimestamp = "webhook-timestamp";
    public const string WebhookSignature = "webhook-signature";
    public const string GithubSignature = "X-Hub-Signature-256";
    public const string JodooSignature = "X-JDY-Signature";
    public const string JodooDeliveryId = "X-JDY-DeliverId";

    /// <summary>Every header a scheme writes: a webhook may not set them itself.</summary>
    public static readonly IReadOnlyList<string> HeaderNames = [WebhookId, WebhookTimestamp, WebhookSignature, GithubSignature, JodooSignature, JodooDeliveryId];

    /// <summary>
    /// Signs a body given as the UTF-8 bytes that will be sent (encoded once, for both the signature and the request).
    /// <paramref name="previousSecret"/>, during a rotation's grace period, adds a second signature to the Standard
    /// Webhooks header (the spec's space-separated list), so a receiver that verifies with either secret accepts it.
    /// </summary>
    public static Signed Apply(SigningScheme scheme, string? secret, Guid jobId, string url, ReadOnlySpan<byte> body, DateTimeOffset now, string? previousSecret = null)
    {
        var headers = new List<HeaderEntry>(3);
        if (scheme == SigningScheme.None || string.IsNullOrEmpty(secret)) return new Signed(url, headers);
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (scheme)
        {
            case SigningScheme.Standard:
            {
                // Standard Webhooks: HMAC-SHA256 of "id.timestamp.body", keyed by the base64 part of whsec_.
                var id = jobId.ToString();
                var signature = "v1," + Hmac(secret, id, timestamp, body);
                if (!string.IsNullOrEmpty(previousSecret)) signature += " v1," + Hmac(previousSecret, id, timestamp, body);
                headers.Add(new(WebhookId, id));
                headers.Add(new(WebhookTimestamp, timestamp));
                headers.Add(new(WebhookSignature, signature));
                break;
            }
            case SigningScheme.StandardEd25519:
            {
                // The same headers; the signature is Ed25519 over the same "id.timestamp.body", marked v1a.
                var id = jobId.ToString();
                var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
                var message = new byte[prefix.Length + body.Length];
                prefix.CopyTo(message, 0);
                body.CopyTo(message.AsSpan(prefix.Length));
                var signature = "v1a," + Convert.ToBase64String(SigningSecrets.SignEd25519(secret, message));
                if (!string.IsNullOrEmpty(previousSecret)) signature += " v1a," + Convert.ToBase64String(SigningSecrets.SignEd25519(previousSecret, message));
                headers.Add(new(WebhookId, id));
                headers.Add(new(WebhookTimestamp, timestamp));
                headers.Add(new(WebhookSignature, signature));
                break;
            }
            case SigningScheme.Github:
            {
                var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
                headers.Add(new(GithubSignature, "sha256=" + Convert.ToHexStringLower(mac)));
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
                headers.Add(new(JodooSignature, Convert.ToHexStringLower(sha1)));
                headers.Add(new(JodooDeliveryId, jobId.ToString()));
                url += (url.Contains('?') ? "&" : "?") + $"timestamp={timestamp}&nonce={nonce}";
                break;
            }
        }
        return new Signed(url, headers);
    }

    private static string Hmac(string secret, string id, string timestamp, ReadOnlySpan<byte> body)
    {
        SigningSecrets.TryDecodeStandard(secret, out var key);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
        hmac.AppendData(body);
        return Convert.ToBase64String(hmac.GetHashAndReset());
    }
}
