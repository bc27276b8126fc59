using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace WebhookConsole.Data.Sqlite;

/// <summary>
/// For <c>dotnet ef migrations add … --context AppDbContext</c>: the SQLite model, whatever the app's settings say
/// (without it the tools would build the app's host, and a factory for another context could be taken instead).
/// </summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<AppDbContext>
{
    public AppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AppDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
