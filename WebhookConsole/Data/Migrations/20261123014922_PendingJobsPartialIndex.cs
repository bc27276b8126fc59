using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations
{
    /// <summary>
    /// The dispatcher's sweep index holds only Pending jobs: a delivered job leaves it (one delete) instead of
    /// moving to a (Succeeded, null) key, a delete and an insert on every delivery, and the index no longer grows
    /// with the history.
    /// </summary>
    public partial class PendingJobsPartialIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_WebhookJobs_Status_NextAttemptAt",
                table: "WebhookJobs");

            migrationBuilder.CreateIndex(
                name: "IX_WebhookJobs_Pending_NextAttemptAt_Id",
                table: "WebhookJobs",
                columns: new[] { "Status", "NextAttemptAt", "Id" },
                filter: "\"Status\" = 'Pending'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_WebhookJobs_Pending_NextAttemptAt_Id",
                table: "WebhookJobs");

            migrationBuilder.CreateIndex(
                name: "IX_WebhookJobs_Status_NextAttemptAt",
                table: "WebhookJobs",
                columns: new[] { "Status", "NextAttemptAt" });
        }
    }
}
