using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Postgres;

namespace WebhookConsole.Data;

/// <summary>A start-up step that runs once the migrations are applied (the roles and first admin: Security/AccountSeed).</summary>
public interface IDatabaseSeed
{
    Task SeedAsync(CancellationToken ct);
}

/// <summary>Start-up: applies the migrations (on PostgreSQL under an advisory lock) and the SQLite settings, then every registered <see cref="IDatabaseSeed"/> in order.</summary>
public sealed class DatabaseInitializer(IDbContextFactory<AppDbContext> dbFactory, IEnumerable<IDatabaseSeed> seeds)
{
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (db.Database.IsNpgsql())
        {
            // Several instances may start at once: migrations and seeds run under one advisory lock.
            await PostgresMigrator.MigrateAsync(db, () => SeedAsync(ct), ct);
            return;
        }
        await db.Database.MigrateAsync(ct);
        await DataExtensions.ConfigureSqliteAsync(db, ct);
        await SeedAsync(ct);
    }

    private async Task SeedAsync(CancellationToken ct)
    {
        foreach (var seed in seeds) await seed.SeedAsync(ct);
    }
}
