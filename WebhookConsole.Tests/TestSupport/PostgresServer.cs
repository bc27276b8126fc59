using System.Diagnostics;
using Npgsql;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>
/// The PostgreSQL server the tests use: the one in <c>WC_TEST_POSTGRES</c> (an Npgsql connection string to a
/// server where the user may create databases; <c>.ci/run</c> starts a throwaway cluster and sets it), or else a
/// throwaway cluster this test run starts with <c>.ci/postgres</c> and stops when it ends. Each console under test
/// gets a database of its own (<see cref="CreateDatabaseAsync"/>), dropped afterwards.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<string> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string ConnectionString => Server.Value;

    /// <summary>A connection string to a new, empty database (created here unless <paramref name="create"/> is false: the console creates it).</summary>
    public static string NewDatabase(bool create = true)
    {
        var name = "wc_" + Guid.NewGuid().ToString("N")[..16];
        if (create) Execute($"CREATE DATABASE {name}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    public static void DropDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    private static void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable("WC_TEST_POSTGRES") is { Length: > 0 } given) return given;
        var script = FindScript();
        var dir = Path.Combine(Path.GetTempPath(), "wc-pg-" + Guid.NewGuid().ToString("N")[..10]);
        var connectionString = Run(script, "start", dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Run(script, "stop", dir);
        return connectionString.Trim();
    }

    private static string Run(string script, string command, string dir)
    {
        var info = new ProcessStartInfo("bash", [script, command, dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"PostgreSQL tests need a server: '.ci/postgres {command}' failed ({error.Trim()}). Set WC_TEST_POSTGRES to a server's connection string, or install Debian's postgresql package.");
        }
        return output;
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".ci", "postgres");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("PostgreSQL tests need WC_TEST_POSTGRES or the repository's .ci/postgres script.");
    }
}
