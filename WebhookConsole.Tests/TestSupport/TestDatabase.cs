using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>A migrated SQLite database in a temporary file (never EF's InMemory provider).</summary>
public sealed class TestDatabase : IDbContextFactory<AppDbContext>, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"wc-db-{Guid.NewGuid():N}.db");

    public TestDatabase()
    {
        Options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite($"Data Source={_path}").Options;
        using var db = CreateDbContext();
        db.Database.Migrate();
    }

    public DbContextOptions<AppDbContext> Options { get; }

    public AppDbContext CreateDbContext() => new(Options);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try { File.Delete(_path + suffix); } catch (IOException) { }
        }
    }
}
