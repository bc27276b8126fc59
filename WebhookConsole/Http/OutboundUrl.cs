using WebhookConsole.Data.Entities;

namespace WebhookConsole.Http;

/// <summary>What a delivery URL must be, and what "the same origin" means for an edited retry.</summary>
public static class OutboundUrl
{
    /// <summary>Why a URL cannot be delivered to, or null when it can: absolute http(s), no control characters.</summary>
    public static string? Check(string url)
    {
        if (url.Any(char.IsControl)) return "The URL contains a control character (such as a line break); remove it.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            return "The URL must be an absolute http:// or https:// URL.";
        }
        return null;
    }

    /// <summary>Scheme, host and port, as a browser compares origins (default ports made explicit).</summary>
    public static string Origin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}" : "";

    public static bool SameOrigin(string a, string b)
    {
        var origin = Origin(a);
        return origin.Length > 0 && string.Equals(origin, Origin(b), StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The request headers a job of a webhook is written with: secret ones masked, their values added at send time.</summary>
public static class JobRequest
{
    public static List<HeaderEntry> Headers(Webhook w) =>
        [new HeaderEntry("Content-Type", "application/json"), .. w.Headers.Select(h => h.Secret ? new HeaderEntry(h.Name, HeaderEntry.Masked, true) : h)];
}
