using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

public class MigrationTests
{
    [Fact]
    public void Migrations_apply_to_an_empty_database_and_create_every_table()
    {
        using var db = new TestDatabase();
        using var context = db.CreateDbContext();
        Assert.Empty(context.Database.GetPendingMigrations());
        foreach (var table in new[] { "Webhooks", "Events", "EventOutcomes", "WebhookJobs", "JobAttempts", "AuditEntries", "ApiKeys", "Notifications", "AspNetUsers", "AspNetRoles" })
        {
            var count = context.Database.SqlQuery<int>($"SELECT COUNT(*) AS Value FROM sqlite_master WHERE type = 'table' AND name = {table}").AsEnumerable().Single();
            Assert.True(count == 1, $"table {table} is missing");
        }
    }

    [Theory]
    [InlineData("WebhookJobs_search_delete")]
    [InlineData("WebhookJobs_search_edit")]
    [InlineData("JobAttempts_search_delete")]
    public void The_search_indexs_triggers_survive_every_table_rebuild(string trigger)
    {
        using var db = new TestDatabase();
        using var context = db.CreateDbContext();
        var found = context.Database.SqlQuery<int>($"SELECT COUNT(*) AS Value FROM sqlite_master WHERE type = 'trigger' AND name = {trigger}").AsEnumerable().Single();
        Assert.True(found == 1, $"trigger {trigger} is missing");
    }

    [Fact]
    public void Upgrading_a_database_with_attempts_keeps_only_the_bodies_that_differ_from_their_jobs()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wc-upgrade-{Guid.NewGuid():N}.db");
        var options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite($"Data Source={path}").Options;
        try
        {
            using (var context = new AppDbContext(options))
            {
                context.Database.Migrate("20261202063736_SecretsAtRest");
                context.Database.OpenConnection();
                using var insert = context.Database.GetDbConnection().CreateCommand();
                insert.CommandText = """
                    INSERT INTO WebhookJobs (Id, WebhookId, WebhookName, EventType, EventAction, Url, RequestHeaders, RequestBody, OriginalRequestBody, Status, AttemptCount, IsTest, CreatedAt, UpdatedAt)
                    VALUES ('01a23700-0000-7000-8000-000000000001', '01a23700-0000-7000-8000-0000000000aa', 'h', 'Submission', 'Submitted', 'https://r.example', '[]',
                            '{"edited":true}', '{"first":true}', 'Succeeded', 2, 0, '2026-12-01 10:00:00', '2026-12-01 10:00:00');
                    INSERT INTO JobAttempts (JobId, Number, Trigger, StartedAt, DurationMs, Url, RequestHeaders, RequestBody, ResponseHeaders, ResponseBodyLength)
                    VALUES ('01a23700-0000-7000-8000-000000000001', 1, 'Schedule', '2026-12-01 10:00:00', 5, 'https://r.example', '[]', '{"first":true}', '[]', 0),
                           ('01a23700-0000-7000-8000-000000000001', 2, 'Edited', '2026-12-01 10:01:00', 5, 'https://r.example', '[]', '{"edited":true}', '[]', 0);
                    """;
                insert.ExecuteNonQuery();
                context.Database.CloseConnection();
                context.Database.Migrate();
            }
            using (var context = new AppDbContext(options))
            {
                var job = context.WebhookJobs.AsNoTracking().Include(j => j.Attempts).Single();
                var attempts = job.Attempts.OrderBy(a => a.Number).ToList();
                Assert.Equal([null, "{\"edited\":true}"], attempts.Select(a => a.RequestBody));
                Assert.Equal(["{\"first\":true}", "{\"edited\":true}"], attempts.Select(job.BodyOf));
                Assert.Equal(1, context.Database.SqlQuery<int>($"SELECT COUNT(*) AS Value FROM sqlite_master WHERE type = 'trigger' AND name = 'JobAttempts_search_delete'").AsEnumerable().Single());
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(path + suffix);
        }
    }

    [Fact]
    public void The_model_has_no_changes_without_a_migration()
    {
        using var db = new TestDatabase();
        using var context = db.CreateDbContext();
        Assert.False(context.Database.HasPendingModelChanges(), "The model changed: add a migration (see AppDbContext's remarks).");
    }

    [Theory]
    [InlineData("WebhookJobs", "IX_WebhookJobs_Status_CreatedAt_Id")]
    [InlineData("WebhookJobs", "IX_WebhookJobs_WebhookId_CreatedAt_Id")]
    [InlineData("WebhookJobs", "IX_WebhookJobs_Pending_NextAttemptAt_Id")]
    [InlineData("Events", "IX_Events_ReceivedAt")]
    public void The_consoles_queries_have_their_indexes(string table, string index)
    {
        using var db = new TestDatabase();
        using var context = db.CreateDbContext();
        var found = context.Database.SqlQuery<int>($"SELECT COUNT(*) AS Value FROM sqlite_master WHERE type = 'index' AND tbl_name = {table} AND name = {index}").AsEnumerable().Single();
        Assert.Equal(1, found);
    }
}
