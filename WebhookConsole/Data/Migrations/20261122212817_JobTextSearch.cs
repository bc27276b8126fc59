using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations
{
    /// <summary>
    /// Full-text indexes for the jobs console's text search (SQLite FTS5, contentless): a job's URL and request
    /// body, and each attempt's response body when there is one, kept by triggers. Search reads these instead of
    /// every row of its window (see <see cref="JobSearch"/>).
    /// </summary>
    public partial class JobTextSearch : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE VIRTUAL TABLE "WebhookJobSearch" USING fts5("Text", content='', contentless_delete=1);
                CREATE VIRTUAL TABLE "JobAttemptSearch" USING fts5("Text", content='', contentless_delete=1);
                INSERT INTO "WebhookJobSearch" (rowid, "Text") SELECT rowid, "Url" || ' ' || "RequestBody" FROM "WebhookJobs";
                INSERT INTO "JobAttemptSearch" (rowid, "Text") SELECT "Id", "ResponseBody" FROM "JobAttempts" WHERE "ResponseBodyLength" > 0 AND "ResponseBody" IS NOT NULL;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "WebhookJobs_search_insert" AFTER INSERT ON "WebhookJobs" BEGIN
                  INSERT INTO "WebhookJobSearch" (rowid, "Text") VALUES (new.rowid, new."Url" || ' ' || new."RequestBody");
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "WebhookJobs_search_update" AFTER UPDATE OF "Url", "RequestBody" ON "WebhookJobs" BEGIN
                  DELETE FROM "WebhookJobSearch" WHERE rowid = old.rowid;
                  INSERT INTO "WebhookJobSearch" (rowid, "Text") VALUES (new.rowid, new."Url" || ' ' || new."RequestBody");
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "WebhookJobs_search_delete" AFTER DELETE ON "WebhookJobs" BEGIN
                  DELETE FROM "WebhookJobSearch" WHERE rowid = old.rowid;
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "JobAttempts_search_insert" AFTER INSERT ON "JobAttempts" WHEN new."ResponseBodyLength" > 0 AND new."ResponseBody" IS NOT NULL BEGIN
                  INSERT INTO "JobAttemptSearch" (rowid, "Text") VALUES (new."Id", new."ResponseBody");
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "JobAttempts_search_delete" AFTER DELETE ON "JobAttempts" WHEN old."ResponseBodyLength" > 0 AND old."ResponseBody" IS NOT NULL BEGIN
                  DELETE FROM "JobAttemptSearch" WHERE rowid = old."Id";
                END;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "JobAttempts_search_delete";
                DROP TRIGGER "JobAttempts_search_insert";
                DROP TRIGGER "WebhookJobs_search_delete";
                DROP TRIGGER "WebhookJobs_search_update";
                DROP TRIGGER "WebhookJobs_search_insert";
                DROP TABLE "JobAttemptSearch";
                DROP TABLE "WebhookJobSearch";
                """);
        }
    }
}
