using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using WebhookConsole.Data.Postgres;

#nullable disable

namespace WebhookConsole.Data.Migrations.Postgres
{
    /// <summary>
    /// The word index of the jobs console's text search on PostgreSQL (the SQLite console's FTS5 file, in PostgreSQL's
    /// own means): a <c>tsvector</c> per job (its URL and request body) and per answered attempt (its response body),
    /// in a table of its own with a GIN index. Triggers only note what is to be indexed (<c>JobSearchQueue</c>: no key,
    /// no index, about 2 µs a row); <see cref="PostgresSearchIndexer"/> builds the words (<see cref="SearchWords"/>)
    /// in the background, so the delivery path never pays for them (built by to_tsvector in the jobs' own INSERT, they
    /// tripled the server's work per delivery: docs/performance.md). What the queue still holds is what search scans.
    /// Not part of the EF model. Written by hand.
    /// </summary>
    [DbContext(typeof(PostgresDbContext))]
    [Migration("20261206100000_SearchDocuments")]
    public partial class SearchDocuments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE "JobSearchDocuments" (
                    "JobId" uuid NOT NULL REFERENCES "WebhookJobs" ("Id") ON DELETE CASCADE,
                    -- 0: the job's URL and request body; n: the response body of attempt n.
                    "Attempt" integer NOT NULL,
                    "Words" tsvector NOT NULL,
                    CONSTRAINT "PK_JobSearchDocuments" PRIMARY KEY ("JobId", "Attempt")
                );
                CREATE INDEX "IX_JobSearchDocuments_Words" ON "JobSearchDocuments" USING gin ("Words");

                -- What the index has not reached yet: jobs (Attempt 0) and answered attempts, noted by the triggers below.
                CREATE TABLE "JobSearchQueue" ("JobId" uuid NOT NULL, "Attempt" integer NOT NULL);

                CREATE FUNCTION "WebhookJobs_search"() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO "JobSearchQueue" ("JobId", "Attempt") VALUES (NEW."Id", 0);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "WebhookJobs_search_insert" AFTER INSERT ON "WebhookJobs"
                    FOR EACH ROW EXECUTE FUNCTION "WebhookJobs_search"();
                -- An edited retry changes the URL or body: the job is found by its new text (as on SQLite).
                CREATE TRIGGER "WebhookJobs_search_edit" AFTER UPDATE OF "Url", "RequestBody" ON "WebhookJobs"
                    FOR EACH ROW WHEN (OLD."Url" IS DISTINCT FROM NEW."Url" OR OLD."RequestBody" IS DISTINCT FROM NEW."RequestBody")
                    EXECUTE FUNCTION "WebhookJobs_search"();

                CREATE FUNCTION "JobAttempts_search"() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO "JobSearchQueue" ("JobId", "Attempt") VALUES (NEW."JobId", NEW."Number");
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "JobAttempts_search_insert" AFTER INSERT ON "JobAttempts"
                    FOR EACH ROW WHEN (NEW."ResponseBodyLength" > 0 AND NEW."ResponseBody" IS NOT NULL)
                    EXECUTE FUNCTION "JobAttempts_search"();

                INSERT INTO "JobSearchQueue" ("JobId", "Attempt") SELECT "Id", 0 FROM "WebhookJobs";
                INSERT INTO "JobSearchQueue" ("JobId", "Attempt")
                    SELECT "JobId", "Number" FROM "JobAttempts" WHERE "ResponseBodyLength" > 0 AND "ResponseBody" IS NOT NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "JobAttempts_search_insert" ON "JobAttempts";
                DROP FUNCTION "JobAttempts_search"();
                DROP TRIGGER "WebhookJobs_search_edit" ON "WebhookJobs";
                DROP TRIGGER "WebhookJobs_search_insert" ON "WebhookJobs";
                DROP FUNCTION "WebhookJobs_search"();
                DROP TABLE "JobSearchQueue";
                DROP TABLE "JobSearchDocuments";
                """);
        }
    }
}
