using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Postgres;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>A migrated database of its own on the tests' PostgreSQL server (<see cref="PostgresServer"/>), dropped afterwards.</summary>
public sealed class PostgresTestDatabase : ITestDatabase
{
    public PostgresTestDatabase(bool migrate = true)
    {
        ConnectionString = PostgresServer.NewDatabase();
        Options = new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql(ConnectionString).Options;
        if (!migrate) return;
        using var db = CreateDbContext();
        PostgresMigrator.MigrateAsync(db, CancellationToken.None).GetAwaiter().GetResult();
    }

    public string ConnectionString { get; }

    public DatabaseProvider Provider => DatabaseProvider.Postgres;

    public DbContextOptions<PostgresDbContext> Options { get; }

    public AppDbContext CreateDbContext() => new PostgresDbContext(Options);

    public void Dispose() => PostgresServer.DropDatabase(ConnectionString);
}
