using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations.Sqlite
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PreviousSigningSecretUntil",
                table: "Webhooks",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SigningPublicKey",
                table: "Webhooks",
                type: "TEXT",
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
