using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Dispatching.Policy;

namespace WebhookConsole.Dispatching.Lanes;

/// <summary>
/// The durable lane: Hangfire on Hangfire.Storage.SQLite, in its own file beside the database
/// (<c>console.db</c> → <c>console.hangfire.db</c>), or on PostgreSQL in the console's database (see
/// <see cref="OpenPostgresStorage"/>). It runs the periodic work (the recovery sweep here, the retention
/// purge registered by Retention) as recurring jobs and the bulk operations (retry all, abandon all) as background jobs, so they survive a
/// restart and show in the dashboard with their history. It holds no delivery: deliveries are rows in our
/// database, sent by the fast lane (<see cref="DeliveryLane"/>). That storage runs about 170 jobs/s with a
/// second's latency at best and its locks are process-local, so it is the right home for minutes-scale work and
/// the wrong one for the hot path. Losing or deleting the file loses nothing: at start-up it is created again
/// and the recurring jobs are registered anew.
/// </summary>
public static class DurableLane
{
    public const string RecoveryJobId = "delivery-recovery";

    /// <summary>The Hangfire file for a database: the same name with <c>.hangfire.db</c>, in the same folder.</summary>
    public static string StoragePath(string? connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString ?? "").DataSource;
        if (string.IsNullOrEmpty(source) || source == ":memory:") source = Path.Combine(Path.GetTempPath(), $"webhookconsole-{Environment.ProcessId}.db");
        var full = Path.GetFullPath(source);
        return Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + ".hangfire.db");
    }

    public static IServiceCollection AddDurableLane(this IServiceCollection services, IConfiguration configuration, DispatchOptions options)
    {
        services.AddSingleton<JobStorage>(sp => sp.GetRequiredService<DatabaseSettings>().IsSqlite
            ? OpenStorage(StoragePath(configuration.GetConnectionString("Console")), sp.GetRequiredService<ILogger<SQLiteStorage>>())
            : OpenPostgresStorage(configuration.GetConnectionString("Console")!));
        services.AddHangfire((sp, c) => c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostLogProvider(sp.GetRequiredService<ILoggerFactory>())));
        services.AddHangfireServer((sp, o) =>
        {
            o.Activator = new HostJobActivator(sp.GetRequiredService<IServiceScopeFactory>());
            o.WorkerCount = Math.Max(1, options.WorkerCount);
            o.SchedulePollingInterval = TimeSpan.FromSeconds(5);
            o.ServerName = DatabaseSettings.ProcessName;
        });
        services.AddTransient<RecoveryJob>();
        services.AddSingleton<IDatabaseSeed, HangfireSchemaSeed>();
        services.AddHostedService<RecurringJobsRegistration>();
        return services;
    }

    /// <summary>Opens the Hangfire file; one that cannot be opened is moved aside and started afresh (it holds no delivery).</summary>
    internal static SQLiteStorage OpenStorage(string path, ILogger logger)
    {
        var storageOptions = new SQLiteStorageOptions
        {
            QueuePollInterval = TimeSpan.FromSeconds(1),
            // A bulk operation interrupted by a stop is taken up again by the next run this long after it started.
            InvisibilityTimeout = TimeSpan.FromMinutes(5),
            JobExpirationCheckInterval = TimeSpan.FromMinutes(30),
        };
        try
        {
            return new SQLiteStorage(path, storageOptions);
        }
        catch (Exception ex) when (File.Exists(path))
        {
            var aside = $"{path}.unreadable-{DateTime.UtcNow:yyyyMMddHHmmss}";
            logger.LogError(ex, "The Hangfire file {Path} could not be opened; it is moved to {Aside} and created anew. No delivery is lost: deliveries live in the console's database.", path, aside);
            File.Move(path, aside);
            return new SQLiteStorage(path, storageOptions);
        }
    }

    /// <summary>
    /// On PostgreSQL, Hangfire.PostgreSql in the console's own database, schema <c>hangfire</c>: one Hangfire for the
    /// whole cluster, so a recurring job runs once per period across the instances and a bulk operation started on
    /// one instance may be run by any. Its locks are in the database, not in a process.
    /// </summary>
    internal static PostgreSqlStorage OpenPostgresStorage(string connectionString)
    {
        var storageOptions = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = TimeSpan.FromSeconds(1),
            InvisibilityTimeout = TimeSpan.FromMinutes(5),
            JobExpirationCheckInterval = TimeSpan.FromMinutes(30),
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions);
    }

    /// <summary>
    /// Opens the Hangfire storage at start-up, which creates its schema when it is missing: on PostgreSQL under the
    /// start-up lock (<see cref="DatabaseInitializer"/>), so instances starting together do not create it twice.
    /// </summary>
    private sealed class HangfireSchemaSeed(IServiceProvider services) : IDatabaseSeed
    {
        public Task SeedAsync(CancellationToken ct)
        {
            services.GetRequiredService<JobStorage>();
            return Task.CompletedTask;
        }
    }

    /// <summary>Registers the recurring jobs at every start, so a new or rebuilt Hangfire file has them at once.</summary>
    private sealed class RecurringJobsRegistration(IRecurringJobManager recurring) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            recurring.AddOrUpdate<RecoveryJob>(RecoveryJobId, j => j.RecoverAsync(CancellationToken.None), Cron.Minutely());
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The durable lane's recurring job <c>delivery-recovery</c>.</summary>
public sealed class RecoveryJob(DeliveryLane lane, ILogger<RecoveryJob> logger)
{
    /// <summary>
    /// The safety net: every Pending job that is due and free and not on the fast lane is put on it. The lane's own
    /// poll does this every second for the next few seconds; the sweep exists for what that could miss.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(60)]
    public async Task<string> RecoverAsync(CancellationToken ct)
    {
        var added = await lane.PollAsync(TimeSpan.Zero, ct);
        if (added > 0) logger.LogWarning("The recovery sweep found {Count} due deliveries the lane did not hold.", added);
        return $"{added} due deliveries put on the lane";
    }
}
