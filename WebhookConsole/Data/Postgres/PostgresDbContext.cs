using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace WebhookConsole.Data.Postgres;

/// <summary>
/// The model on PostgreSQL. The same entities and configurations as <see cref="AppDbContext"/>; its own type so
/// that its migrations (<c>Data/Migrations/Postgres</c>) are apart from SQLite's. Everything in the console asks for
/// an <see cref="AppDbContext"/>; on PostgreSQL the factory hands out this one.
/// </summary>
public sealed class PostgresDbContext(DbContextOptions<PostgresDbContext> options) : AppDbContext(options)
{
    protected override bool GuidsAsBytes => false;
    protected override bool PayloadsCompressed => false;
}

/// <summary>For <c>dotnet ef migrations add … --context PostgresDbContext</c>: scaffolding needs the provider, not a server.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDbContext>
{
    public PostgresDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql("Host=127.0.0.1;Database=webhookconsole_design").Options);
}
