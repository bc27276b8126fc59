using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Search;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>A migrated SQLite database in a temporary file (never EF's InMemory provider).</summary>
public sealed class TestDatabase : ITestDatabase
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"wc-db-{Guid.NewGuid():N}.db");

    public TestDatabase()
    {
        Options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite(ConnectionString).Options;
        using var db = CreateDbContext();
        db.Database.Migrate();
    }

    public DbContextOptions<AppDbContext> Options { get; }

    public DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public string ConnectionString => $"Data Source={_path}";

    public AppDbContext CreateDbContext() => new(Options);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        // The database, the search index, the Hangfire file and the outcome journal beside it (JobSearch.IndexPath, DurableLane.StoragePath, OutcomeJournal.For).
        foreach (var file in new[] { _path, Path.ChangeExtension(_path, ".search.db"), Path.ChangeExtension(_path, ".hangfire.db"), Path.ChangeExtension(_path, ".outcomes.1"), Path.ChangeExtension(_path, ".outcomes.2") })
        {
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                try { File.Delete(file + suffix); } catch (IOException) { }
            }
        }
    }
}
