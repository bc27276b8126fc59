using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SearchTrigrams : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The jobs console's text search on PostgreSQL: trigram GIN indexes serve LIKE '%text%' over all history,
            // text inside a word included (SQLite's FTS5 index finds whole words only). pg_trgm is a trusted
            // extension: the database's owner may create it. Not in the EF model: SQLite has no such index.
            migrationBuilder.Sql("CREATE EXTENSION IF NOT EXISTS pg_trgm;");
            migrationBuilder.Sql("""CREATE INDEX "IX_WebhookJobs_Url_Trigram" ON "WebhookJobs" USING gin ("Url" gin_trgm_ops);""");
            migrationBuilder.Sql("""CREATE INDEX "IX_WebhookJobs_RequestBody_Trigram" ON "WebhookJobs" USING gin ("RequestBody" gin_trgm_ops);""");
            migrationBuilder.Sql("""CREATE INDEX "IX_JobAttempts_ResponseBody_Trigram" ON "JobAttempts" USING gin ("ResponseBody" gin_trgm_ops) WHERE "ResponseBodyLength" > 0;""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX "IX_JobAttempts_ResponseBody_Trigram";""");
            migrationBuilder.Sql("""DROP INDEX "IX_WebhookJobs_RequestBody_Trigram";""");
            migrationBuilder.Sql("""DROP INDEX "IX_WebhookJobs_Url_Trigram";""");
        }
    }
}
