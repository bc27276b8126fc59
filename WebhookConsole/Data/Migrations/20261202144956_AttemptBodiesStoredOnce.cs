using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations
{
    /// <summary>
    /// The data side of <see cref="AttemptBodyOnlyWhenItDiffers"/>, in a migration of its own because SQLite's table
    /// rebuild there runs after that migration's other operations (and drops the table's triggers).
    /// </summary>
    public partial class AttemptBodiesStoredOnce : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The search index's log of deleted attempts, as 20261122220500_JobSearchIndex created it.
            migrationBuilder.Sql("""
                CREATE TRIGGER IF NOT EXISTS "JobAttempts_search_delete" AFTER DELETE ON "JobAttempts" WHEN old."ResponseBodyLength" > 0 BEGIN
                  INSERT INTO "SearchIndexChanges" ("Kind", "Row") VALUES (1, old."Id");
                END;
                """);
            // Attempts that sent the job's first body keep nothing of it: the job has it.
            migrationBuilder.Sql("""
                UPDATE "JobAttempts" SET "RequestBody" = NULL
                WHERE "RequestBody" = (SELECT COALESCE(j."OriginalRequestBody", j."RequestBody") FROM "WebhookJobs" j WHERE j."Id" = "JobAttempts"."JobId")
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                UPDATE "JobAttempts" SET "RequestBody" = (SELECT COALESCE(j."OriginalRequestBody", j."RequestBody") FROM "WebhookJobs" j WHERE j."Id" = "JobAttempts"."JobId")
                WHERE "RequestBody" IS NULL
                """);
        }
    }
}
