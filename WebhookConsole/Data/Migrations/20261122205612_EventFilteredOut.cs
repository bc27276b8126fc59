using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookConsole.Data.Migrations
{
    /// <inheritdoc />
    public partial class EventFilteredOut : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "FilteredOut",
                table: "Events",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "FilteredOutCount",
                table: "Events",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FilteredOut",
                table: "Events");

            migrationBuilder.DropColumn(
                name: "FilteredOutCount",
                table: "Events");
        }
    }
}
