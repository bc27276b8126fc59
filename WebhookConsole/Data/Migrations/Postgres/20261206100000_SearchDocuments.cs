using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using WebhookConsole.Data.Postgres;

#nullable disable

namespace WebhookConsole.Data.Migrations.Postgres
{
    /// <summary>
    /// The word index of the jobs console's text search on PostgreSQL (the SQLite console's FTS5 file, in PostgreSQL's
    /// own means): a <c>tsvector</c> per job (its URL and request body) and per answered attempt (its response body),
    /// in a table of its own with a GIN index. It is written by triggers, so it is always in step with the jobs, and
    /// it is insert-only in practice: recording an attempt updates the job's row, never this one (trigram indexes on
    /// the jobs table itself were rewritten by every such update: docs/performance.md). Not part of the EF model; read
    /// by <see cref="PostgresQueries.JobsMatching"/>. Written by hand.
    /// </summary>
    [DbContext(typeof(PostgresDbContext))]
    [Migration("20261206100000_SearchDocuments")]
    public partial class SearchDocuments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                -- Words are the runs between ASCII punctuation and spaces, as SQLite's unicode61 tokenizer has them:
                -- PostgreSQL's parser would keep 'hooks.example/facilities/east-wing' or an e-mail address as one
                -- token, so a search for 'facilities/east-wing' would not find it. The query goes through it too.
                CREATE FUNCTION "JobSearchText"(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                AS $$ SELECT translate($1, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', repeat(' ', 32)) $$;
                -- The 'simple' configuration: words as they are (no stemming, no stop words), like the SQLite index.
                -- Past 256 KB a text is not indexed (a tsvector holds at most 1 MB); the window scan still finds it.
                CREATE FUNCTION "JobSearchWords"(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                AS $$ SELECT to_tsvector('simple'::regconfig, "JobSearchText"(left($1, 262144))) $$;

                CREATE TABLE "JobSearchDocuments" (
                    "JobId" uuid NOT NULL REFERENCES "WebhookJobs" ("Id") ON DELETE CASCADE,
                    -- 0: the job's URL and request body; n: the response body of attempt n.
                    "Attempt" integer NOT NULL,
                    "Words" tsvector NOT NULL,
                    CONSTRAINT "PK_JobSearchDocuments" PRIMARY KEY ("JobId", "Attempt")
                );
                CREATE INDEX "IX_JobSearchDocuments_Words" ON "JobSearchDocuments" USING gin ("Words");

                CREATE FUNCTION "WebhookJobs_search"() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO "JobSearchDocuments" ("JobId", "Attempt", "Words") VALUES (NEW."Id", 0, "JobSearchWords"(NEW."Url" || ' ' || NEW."RequestBody"))
                    ON CONFLICT ("JobId", "Attempt") DO UPDATE SET "Words" = EXCLUDED."Words";
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
                    INSERT INTO "JobSearchDocuments" ("JobId", "Attempt", "Words") VALUES (NEW."JobId", NEW."Number", "JobSearchWords"(NEW."ResponseBody"))
                    ON CONFLICT ("JobId", "Attempt") DO UPDATE SET "Words" = EXCLUDED."Words";
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "JobAttempts_search_insert" AFTER INSERT ON "JobAttempts"
                    FOR EACH ROW WHEN (NEW."ResponseBodyLength" > 0 AND NEW."ResponseBody" IS NOT NULL)
                    EXECUTE FUNCTION "JobAttempts_search"();

                INSERT INTO "JobSearchDocuments" ("JobId", "Attempt", "Words")
                    SELECT "Id", 0, "JobSearchWords"("Url" || ' ' || "RequestBody") FROM "WebhookJobs";
                INSERT INTO "JobSearchDocuments" ("JobId", "Attempt", "Words")
                    SELECT "JobId", "Number", "JobSearchWords"("ResponseBody") FROM "JobAttempts" WHERE "ResponseBodyLength" > 0 AND "ResponseBody" IS NOT NULL;
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
                DROP TABLE "JobSearchDocuments";
                DROP FUNCTION "JobSearchWords"(text);
                DROP FUNCTION "JobSearchText"(text);
                """);
        }
    }
}
