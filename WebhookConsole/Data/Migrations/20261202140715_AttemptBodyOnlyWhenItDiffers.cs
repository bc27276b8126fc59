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

            // SQLite rebuilds the table to change the column, after every other operation of this migration and
            // dropping its triggers; the next migration restores the search trigger and empties the stored copies.
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "RequestBody",
                table: "JobAttempts",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);
            // The rebuild drops the search trigger of JobAttempts: going back past this migration leaves it out
            // until the next one is applied again.
        }
    }
}
