using Microsoft.EntityFrameworkCore;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>The engine's writes on PostgreSQL find their rows by key, whatever the statistics say.</summary>
public sealed class PostgresPlanTests : IDisposable
{
    private readonly PostgresTestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Recording_an_attempt_finds_the_job_by_its_key_even_when_statistics_say_nothing_is_pending()
    {
        await using var db = _database.CreateDbContext();
        // Statistics taken while every job had succeeded (a quiet moment), then a burst leaves jobs Pending.
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "WebhookJobs" ("Id", "WebhookId", "WebhookName", "EventType", "EventAction", "Url", "RequestHeaders", "RequestBody",
                "Status", "AttemptCount", "IsTest", "CreatedAt", "UpdatedAt")
            SELECT gen_random_uuid(), gen_random_uuid(), 'h', 'Submission', 'Submitted', 'https://r.example/hook', '', '{{}}',
                'Succeeded', 1, false, 639000000000000000 + n, 639000000000000000 + n
            FROM generate_series(1, 5000) AS n;
            ANALYZE "WebhookJobs";
            INSERT INTO "WebhookJobs" ("Id", "WebhookId", "WebhookName", "EventType", "EventAction", "Url", "RequestHeaders", "RequestBody",
                "Status", "AttemptCount", "IsTest", "CreatedAt", "UpdatedAt")
            SELECT gen_random_uuid(), gen_random_uuid(), 'h', 'Submission', 'Submitted', 'https://r.example/hook', '', '{{}}',
                'Pending', 0, false, 639100000000000000 + n, 639100000000000000 + n
            FROM generate_series(1, 2000) AS n;
            """);
        var id = await db.WebhookJobs.Where(j => j.AttemptCount == 0).Select(j => j.Id).FirstAsync();

        // The statement BulkWriter sends for the record (SET …, by key, with the engine's condition).
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"""UPDATE "WebhookJobs" SET "Summary" = 'x' WHERE "Id" = '{id}' AND ({DeliveryStore.StillPending})""";
        Assert.Contains("PK_WebhookJobs", await PostgresTestDatabase.ExplainAsync(command));
    }
}
