using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations
{
    /// <inheritdoc />
    public partial class AttemptBodyOnlyWhenItDiffers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "RequestBody",
                table: "JobAttempts",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

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

            migrationBuilder.AlterColumn<string>(
                name: "RequestBody",
                table: "JobAttempts",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);
        }
    }
}
