using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Dispatching.Ledger;

/// <summary>
/// One group of recorded attempts as per-minute counts per webhook (<see cref="DeliveryMinute"/>), added in the
/// recording transaction: usually one row for a whole group. Test deliveries are left out.
/// </summary>
internal sealed class MinuteTally
{
    private readonly SortedDictionary<(long Minute, Guid WebhookId), (int Succeeded, int Failed, int Retried)> _counts = [];

    /// <summary>An attempt of <paramref name="job"/>, as its record left the job.</summary>
    public void Count(WebhookJob job, DateTime startedAt)
    {
        if (job.IsTest) return;
        var key = (DeliveryMinute.MinuteOf(startedAt), job.WebhookId);
        var (s, f, r) = _counts.GetValueOrDefault(key);
        _counts[key] = job.Status switch
        {
            JobStatus.Succeeded or JobStatus.Received => (s + 1, f, r),
            JobStatus.Failed => (s, f + 1, r),
            JobStatus.Pending => (s, f, r + 1),
            _ => (s, f, r),
        };
    }

    /// <summary>
    /// Adds the counts in the caller's transaction, one upsert per minute and webhook, in key order (instances
    /// sharing a PostgreSQL database lock the same rows in the same order, so they wait for each other but never
    /// deadlock).
    /// </summary>
    public async Task WriteAsync(AppDbContext db)
    {
        if (_counts.Count == 0) return;
        // The webhook id as the provider stores it (a 16-byte blob on SQLite, uuid on PostgreSQL).
        var converter = db.Model.FindEntityType(typeof(DeliveryMinute))!.FindProperty(nameof(DeliveryMinute.WebhookId))!.GetTypeMapping().Converter;
        foreach (var ((minute, webhookId), (succeeded, failed, retried)) in _counts)
        {
            await db.Database.ExecuteSqlRawAsync(Upsert, minute, converter?.ConvertToProvider(webhookId) ?? webhookId, succeeded, failed, retried);
        }
    }

    private const string Upsert = """
        INSERT INTO "DeliveryMinutes" ("Minute", "WebhookId", "Succeeded", "Failed", "Retried") VALUES ({0}, {1}, {2}, {3}, {4})
        ON CONFLICT ("Minute", "WebhookId") DO UPDATE SET
            "Succeeded" = "DeliveryMinutes"."Succeeded" + excluded."Succeeded",
            "Failed" = "DeliveryMinutes"."Failed" + excluded."Failed",
            "Retried" = "DeliveryMinutes"."Retried" + excluded."Retried"
        """;
}
