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

    /// <summary>PostgreSQL's plan for <paramref name="command"/> (its text and parameters), one line per plan node.</summary>
    public static async Task<string> ExplainAsync(System.Data.Common.DbCommand command)
    {
        command.CommandText = "EXPLAIN " + command.CommandText;
        if (command.Connection!.State != System.Data.ConnectionState.Open) await command.Connection.OpenAsync();
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        return string.Join("\n", lines);
    }
}
