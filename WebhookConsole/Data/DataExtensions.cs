using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Common;
using WebhookConsole.Data.Postgres;
using WebhookConsole.Data.Search;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data;

public static class DataExtensions
{
    public const string DefaultConnectionString = "Data Source=data/webhookconsole.db";

    public static IHostApplicationBuilder AddData(this IHostApplicationBuilder builder)
    {
        var provider = DatabaseSettings.ReadProvider(builder.Configuration);
        builder.Services.AddSingleton(new DatabaseSettings(provider));
        builder.Services.AddSingleton(new WriteGate(exclusive: provider == DatabaseProvider.Sqlite));
        builder.Services.AddSingleton<WebhookChanges>();
        builder.Services.AddTransient<DatabaseInitializer>();
        if (provider == DatabaseProvider.Postgres)
        {
            builder.AddPostgres(DatabaseSettings.PostgresConnectionString(builder.Configuration));
            return builder;
        }

        var connectionString = ResolveSqlite(builder.Configuration.GetConnectionString("Console") ?? DefaultConnectionString);
        var connectionSettings = new SqliteConnectionSettings(Synchronous(builder.Configuration["Database:Synchronous"]));
        // Interceptors registered in DI (tests inject failures this way) join every context.
        builder.Services.AddDbContextFactory<AppDbContext>((sp, o) => o.UseSqlite(connectionString)
            .AddInterceptors([connectionSettings, .. sp.GetServices<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>()]));
        builder.Services.AddSingleton<JobSearchIndexer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobSearchIndexer>());
        builder.Services.AddSingleton<WalCheckpointer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WalCheckpointer>());
        return builder;
    }

    private static SqliteSynchronous Synchronous(string? value)
    {
        if (string.IsNullOrEmpty(value)) return SqliteSynchronous.Normal;
        if (EnumNames.TryParse<SqliteSynchronous>(value, out var parsed)) return parsed;
        throw new InvalidOperationException($"Database:Synchronous is '{value}'; use Normal (the default) or Full.");
    }

    /// <summary>
    /// Makes a relative SQLite path absolute against the working directory and creates its folder, so
    /// <c>data/webhookconsole.db</c> lands where the console was started. Pooling stays on; the busy
    /// timeout lets concurrent writers wait instead of failing.
    /// </summary>
    public static string ResolveSqlite(string connectionString)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (SqliteFile(connectionString) is { } full)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            csb.DataSource = full;
        }
        if (csb.DefaultTimeout < 30) csb.DefaultTimeout = 30;
        return csb.ToString();
    }

    /// <summary>
    /// The full path of a SQLite database's file, or null when it has none (in memory, or a <c>file:</c> URI): the
    /// files kept beside it (search index, outcome journal) are named from it.
    /// </summary>
    public static string? SqliteFile(string? connectionString)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString ?? "");
        if (csb.Mode == SqliteOpenMode.Memory || csb.DataSource is not { Length: > 0 } path || path == ":memory:"
            || path.StartsWith("file:", StringComparison.Ordinal)) return null;
        return Path.GetFullPath(path);
    }

    /// <summary>SQLite-specific setup (kept in Data/): WAL lets the consoles read while deliveries write.</summary>
    internal static async Task ConfigureSqliteAsync(AppDbContext db, CancellationToken ct)
    {
        if (!db.Database.IsSqlite()) return;
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }
}
