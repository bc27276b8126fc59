using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SigningRotation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PreviousSigningSecret",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "PreviousSigningSecretUntil",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "SigningPublicKey",
                table: "Webhooks");
        }
    }
}
