using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations
{
    /// <summary>
    /// The word index behind the jobs console's text search (SQLite FTS5, contentless): a job's URL and request
    /// body, and each attempt's response body when it has one. It is filled in the background by
    /// <see cref="JobSearchIndexer"/>, never inside the writes that deliver (measured: indexing in triggers there
    /// cost 40% of end-to-end throughput). <c>SearchIndexMarks</c> says how far each index has got; search scans
    /// the rows past the mark. The triggers keep what is already indexed true: a deleted row leaves the index, an
    /// edited job (edit-then-retry) is indexed again, and the mark comes down when the newest jobs are deleted so
    /// that a reused rowid is indexed anew.
    /// </summary>
    public partial class JobSearchIndex : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE VIRTUAL TABLE "WebhookJobSearch" USING fts5("Text", content='', contentless_delete=1);
                CREATE VIRTUAL TABLE "JobAttemptSearch" USING fts5("Text", content='', contentless_delete=1);
                CREATE TABLE "SearchIndexMarks" ("Name" TEXT NOT NULL PRIMARY KEY, "Mark" INTEGER NOT NULL);
                INSERT INTO "SearchIndexMarks" ("Name", "Mark") VALUES ('jobs', 0), ('attempts', 0);
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "WebhookJobs_search_delete" AFTER DELETE ON "WebhookJobs" BEGIN
                  DELETE FROM "WebhookJobSearch" WHERE rowid = old.rowid;
                  UPDATE "SearchIndexMarks" SET "Mark" = (SELECT coalesce(max(rowid), 0) FROM "WebhookJobs")
                    WHERE "Name" = 'jobs' AND "Mark" > (SELECT coalesce(max(rowid), 0) FROM "WebhookJobs");
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "WebhookJobs_search_edit" AFTER UPDATE OF "Url", "RequestBody" ON "WebhookJobs"
                WHEN new.rowid <= (SELECT "Mark" FROM "SearchIndexMarks" WHERE "Name" = 'jobs') BEGIN
                  INSERT OR REPLACE INTO "WebhookJobSearch" (rowid, "Text") VALUES (new.rowid, new."Url" || ' ' || new."RequestBody");
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "JobAttempts_search_delete" AFTER DELETE ON "JobAttempts" WHEN old."ResponseBodyLength" > 0 BEGIN
                  DELETE FROM "JobAttemptSearch" WHERE rowid = old."Id";
                END;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "JobAttempts_search_delete";
                DROP TRIGGER "WebhookJobs_search_edit";
                DROP TRIGGER "WebhookJobs_search_delete";
                DROP TABLE "SearchIndexMarks";
                DROP TABLE "JobAttemptSearch";
                DROP TABLE "WebhookJobSearch";
                """);
        }
    }
}
