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
    /// Adds the counts in the caller's transaction: one multi-row upsert for the whole group, its rows in key order
    /// (instances sharing a PostgreSQL database lock the same rows in the same order, so they wait for each other but
    /// never deadlock). One statement, not one per row: it runs inside the write gate, which ingestion shares.
    /// </summary>
    public async Task WriteAsync(AppDbContext db)
    {
        if (_counts.Count == 0) return;
        // The webhook id as the provider stores it (a 16-byte blob on SQLite, uuid on PostgreSQL).
        var converter = db.Model.FindEntityType(typeof(DeliveryMinute))!.FindProperty(nameof(DeliveryMinute.WebhookId))!.GetTypeMapping().Converter;
        var values = new System.Text.StringBuilder();
        var parameters = new object[_counts.Count * 5];
        var p = 0;
        foreach (var ((minute, webhookId), (succeeded, failed, retried)) in _counts)
        {
            if (p > 0) values.Append(", ");
            values.Append($"({{{p}}}, {{{p + 1}}}, {{{p + 2}}}, {{{p + 3}}}, {{{p + 4}}})");
            parameters[p++] = minute;
            parameters[p++] = converter?.ConvertToProvider(webhookId) ?? webhookId;
            parameters[p++] = succeeded;
            parameters[p++] = failed;
            parameters[p++] = retried;
        }
        // The text holds only constants and {n} placeholders; every value is a parameter.
#pragma warning disable EF1003
        await db.Database.ExecuteSqlRawAsync(Insert + values + Upsert, parameters);
#pragma warning restore EF1003
    }

    private const string Insert = """INSERT INTO "DeliveryMinutes" ("Minute", "WebhookId", "Succeeded", "Failed", "Retried") VALUES """;

    private const string Upsert = """
         ON CONFLICT ("Minute", "WebhookId") DO UPDATE SET
            "Succeeded" = "DeliveryMinutes"."Succeeded" + excluded."Succeeded",
            "Failed" = "DeliveryMinutes"."Failed" + excluded."Failed",
            "Retried" = "DeliveryMinutes"."Retried" + excluded."Retried"
        """;
}
