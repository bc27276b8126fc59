using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DeliveryMinutes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DeliveryMinutes",
                columns: table => new
                {
                    Minute = table.Column<long>(type: "INTEGER", nullable: false),
                    WebhookId = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Succeeded = table.Column<int>(type: "INTEGER", nullable: false),
                    Failed = table.Column<int>(type: "INTEGER", nullable: false),
                    Retried = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeliveryMinutes", x => new { x.Minute, x.WebhookId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_DeliveryMinutes_WebhookId_Minute",
                table: "DeliveryMinutes",
                columns: new[] { "WebhookId", "Minute" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DeliveryMinutes");
        }
    }
}
