using System.Text.Json;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Dispatching.Policy;

/// <summary>What one attempt's result means for its job (API.md, "Receivers").</summary>
public sealed record DeliveryOutcome(JobStatus Status, TimeSpan? RetryIn, string Summary, bool WebhookGone, bool DeliveryFailed)
{
    public static DeliveryOutcome Decide(SendResult r, bool asyncAck, int attemptNumber, int[] delays, double jitter, int maxRetryAfterSeconds, bool isTest, Random? random = null)
    {
        if (r.IsSuccessStatus)
        {
            // doForms semantics: the receiver may report the final outcome in the body.
            switch (ReportedStatus(r.ResponseBody))
            {
                case "completed": return new(JobStatus.Succeeded, null, $"{r.Summary} · completed", false, false);
                case "failed": return new(JobStatus.Failed, null, $"{r.Summary} · receiver reported failed", false, false);
            }
            if (asyncAck && r.ResponseBodyLength == 0) return new(JobStatus.Received, null, $"{r.Summary} · waiting for the receiver's status callback", false, false);
            return new(JobStatus.Succeeded, null, r.Summary, false, false);
        }
        if (r.StatusCode == 410) return new(JobStatus.Failed, null, $"{r.Summary} · the webhook was disabled", true, true);
        if (isTest) return new(JobStatus.Failed, null, r.Summary, false, true);

        if (attemptNumber >= delays.Length) return new(JobStatus.Failed, null, $"{r.Summary} · gave up after {attemptNumber} attempts", false, true);
        var seconds = (double)delays[attemptNumber];
        seconds += seconds * jitter * (random ?? Random.Shared).NextDouble();
        if (r.StatusCode is 429 or 503 && r.RetryAfter is { } after)
        {
            seconds = Math.Max(seconds, Math.Min(after.TotalSeconds, maxRetryAfterSeconds));
        }
        return new(JobStatus.Pending, TimeSpan.FromSeconds(seconds), r.Summary, false, true);
    }

    private static string? ReportedStatus(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{') return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()?.ToLowerInvariant() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
