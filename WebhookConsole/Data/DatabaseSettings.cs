using Npgsql;
using WebhookConsole.Common;

namespace WebhookConsole.Data;

/// <summary>Which database the console runs on: <c>Database:Provider</c>.</summary>
public enum DatabaseProvider
{
    /// <summary>The embedded default: one process, one file, no other service.</summary>
    Sqlite,

    /// <summary>Scale-out: several console instances share one PostgreSQL database.</summary>
    Postgres,
}

/// <summary>The database settings as read at start-up; a wrong value stops the start with what to write instead.</summary>
public sealed record DatabaseSettings(DatabaseProvider Provider)
{
    public bool IsSqlite => Provider == DatabaseProvider.Sqlite;

    /// <summary>This process as the attempts and Hangfire's server name it: <c>host:pid</c>.</summary>
    public static readonly string ProcessName = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>This process among the instances sharing a PostgreSQL database; null on SQLite.</summary>
    public string? InstanceName => IsSqlite ? null : ProcessName;

    public static DatabaseProvider ReadProvider(IConfiguration configuration)
    {
        var value = configuration["Database:Provider"];
        if (string.IsNullOrWhiteSpace(value)) return DatabaseProvider.Sqlite;
        if (EnumNames.TryParse<DatabaseProvider>(value.Trim(), out var provider)) return provider;
        throw new InvalidOperationException(
            $"Database:Provider is '{value}'; use Sqlite (the default: a file, no other service) or Postgres " +
            "(then ConnectionStrings:Console is an Npgsql connection string, e.g. Host=db;Database=webhookconsole;Username=console;Password=…).");
    }

    /// <summary>The Npgsql connection string in <c>ConnectionStrings:Console</c>, checked for shape (not yet for reach).</summary>
    public static string PostgresConnectionString(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString("Console");
        const string example = "Host=db;Port=5432;Database=webhookconsole;Username=console;Password=…";
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException($"Database:Provider is Postgres but ConnectionStrings:Console is empty; set it to an Npgsql connection string, e.g. {example}.");
        }
        NpgsqlConnectionStringBuilder csb;
        try
        {
            csb = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:Console is not an Npgsql connection string ({ex.Message}); write it as {example}.");
        }
        if (string.IsNullOrEmpty(csb.Host))
        {
            throw new InvalidOperationException($"ConnectionStrings:Console names no Host; with Database:Provider Postgres write it as {example}.");
        }
        if (string.IsNullOrEmpty(csb.Database))
        {
            throw new InvalidOperationException($"ConnectionStrings:Console names no Database; with Database:Provider Postgres write it as {example}.");
        }
        // Unless the operator says otherwise: statements the console runs again and again are prepared once per
        // connection (planning was much of the server's work per delivery), and a pooled connection is not reset
        // with DISCARD ALL each time it is handed out again (EF opens and closes one per unit of work).
        if (!HasKey(value, "Max Auto Prepare")) csb.MaxAutoPrepare = 64;
        if (!HasKey(value, "Auto Prepare Min Usages")) csb.AutoPrepareMinUsages = 2;
        if (!HasKey(value, "No Reset On Close")) csb.NoResetOnClose = true;
        // A prepared statement gets a plan for its values each time: the generic plan PostgreSQL switches to after
        // five runs made the recording UPDATE cost 1.4 ms of server CPU per row with two instances (0.07 ms with a
        // custom plan; docs/performance.md).
        if (!HasKey(value, "Options")) csb.Options = "-c plan_cache_mode=force_custom_plan";
        return csb.ConnectionString;
    }

    /// <summary>Whether the connection string sets <paramref name="key"/> itself (spaces and case aside, as Npgsql reads keys).</summary>
    private static bool HasKey(string connectionString, string key) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), key.Replace(" ", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
}
