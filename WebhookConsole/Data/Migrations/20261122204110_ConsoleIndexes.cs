using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations
{
    /// <inheritdoc />
    public partial class ConsoleIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_EventOutcomes_WebhookId_EventId",
                table: "EventOutcomes");

            migrationBuilder.CreateIndex(
                name: "IX_WebhookJobs_WebhookId_Status_CreatedAt_Id",
                table: "WebhookJobs",
                columns: new[] { "WebhookId", "Status", "CreatedAt", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_JobAttempts_JobId_WithResponse",
                table: "JobAttempts",
                column: "JobId",
                filter: "\"ResponseBodyLength\" > 0");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_WebhookJobs_WebhookId_Status_CreatedAt_Id",
                table: "WebhookJobs");

            migrationBuilder.DropIndex(
                name: "IX_JobAttempts_JobId_WithResponse",
                table: "JobAttempts");

            migrationBuilder.CreateIndex(
                name: "IX_EventOutcomes_WebhookId_EventId",
                table: "EventOutcomes",
                columns: new[] { "WebhookId", "EventId" });
        }
    }
}
