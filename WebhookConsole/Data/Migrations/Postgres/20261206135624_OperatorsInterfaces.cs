using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class OperatorsInterfaces : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "MaxConcurrentDeliveries",
                table: "Webhooks",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "MaxDeliveriesPerSecond",
                table: "Webhooks",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "PreviousSigningSecret",
                table: "Webhooks",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PreviousSigningSecretUntil",
                table: "Webhooks",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SigningPublicKey",
                table: "Webhooks",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Synchronous",
                table: "Webhooks",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "DeliveryMinutes",
                columns: table => new
                {
                    Minute = table.Column<long>(type: "bigint", nullable: false),
                    WebhookId = table.Column<Guid>(type: "uuid", nullable: false),
                    Succeeded = table.Column<int>(type: "integer", nullable: false),
                    Failed = table.Column<int>(type: "integer", nullable: false),
                    Retried = table.Column<int>(type: "integer", nullable: false)
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

            migrationBuilder.DropColumn(
                name: "MaxConcurrentDeliveries",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "MaxDeliveriesPerSecond",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "PreviousSigningSecret",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "PreviousSigningSecretUntil",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "SigningPublicKey",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "Synchronous",
                table: "Webhooks");
        }
    }
}
