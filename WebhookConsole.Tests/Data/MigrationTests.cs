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
