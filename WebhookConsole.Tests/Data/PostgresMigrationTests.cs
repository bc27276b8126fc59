using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Npgsql;
using WebhookConsole.Data;
using WebhookConsole.Data.Postgres;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>The PostgreSQL migrations on a real PostgreSQL: complete, in step with the model, safe to start together.</summary>
public class PostgresMigrationTests
{
    private static long Scalar(AppDbContext db, FormattableString sql) => db.Database.SqlQuery<long>(sql).AsEnumerable().Single();

    [Fact]
    public void Migrations_apply_to_an_empty_database_and_create_every_table_and_index()
    {
        using var database = new PostgresTestDatabase();
        using var db = database.CreateDbContext();
        Assert.Empty(db.Database.GetPendingMigrations());
        foreach (var table in new[] { "Webhooks", "Events", "EventOutcomes", "WebhookJobs", "JobAttempts", "AuditEntries", "ApiKeys", "Notifications", "AspNetUsers", "AspNetRoles", "DataProtectionKeys" })
        {
            Assert.True(Scalar(db, $"SELECT count(*) AS \"Value\" FROM information_schema.tables WHERE table_schema = 'public' AND table_name = {table}") == 1, $"table {table} is missing");
        }
        foreach (var index in new[] { "IX_WebhookJobs_Status_CreatedAt_Id", "IX_WebhookJobs_WebhookId_CreatedAt_Id", "IX_WebhookJobs_Pending_NextAttemptAt_Id", "IX_Events_ReceivedAt" })
        {
            Assert.True(Scalar(db, $"SELECT count(*) AS \"Value\" FROM pg_indexes WHERE schemaname = 'public' AND indexname = {index}") == 1, $"index {index} is missing");
        }
        // The Pending index is partial, as on SQLite: the due-job poll reads only unfinished rows.
        var pending = db.Database.SqlQuery<string>($"SELECT indexdef AS \"Value\" FROM pg_indexes WHERE indexname = 'IX_WebhookJobs_Pending_NextAttemptAt_Id'").AsEnumerable().Single();
        Assert.Contains("WHERE", pending);
    }

    [Fact]
    public void The_model_has_no_changes_without_a_postgres_migration()
    {
        using var db = new PostgresDbContext(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql("Host=127.0.0.1;Database=unused").Options);
        Assert.False(db.Database.HasPendingModelChanges(), "The model changed: add a PostgreSQL migration too (see AppDbContext's remarks).");
    }

    [Fact]
    public async Task Consoles_starting_together_on_a_new_database_take_turns_and_all_start()
    {
        // The database does not exist yet: the first console creates it, the advisory lock lets one migrate at a time.
        var connectionString = PostgresServer.NewDatabase(create: false);
        try
        {
            var options = new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql(connectionString).Options;
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                await using var db = new PostgresDbContext(options);
                await PostgresMigrator.MigrateAsync(db, CancellationToken.None);
            })));
            await using var check = new PostgresDbContext(options);
            Assert.Empty(await check.Database.GetPendingMigrationsAsync());
            Assert.Equal(check.Database.GetMigrations().Count(), Scalar(check, $"SELECT count(*) AS \"Value\" FROM \"__EFMigrationsHistory\""));
        }
        finally
        {
            PostgresServer.DropDatabase(connectionString);
        }
    }

    [Fact]
    public async Task An_unreachable_server_stops_the_start_with_what_to_check()
    {
        // A port nobody listens on, on this machine.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql($"Host=127.0.0.1;Port={port};Database=console;Username=console;Timeout=3").Options;
        await using var db = new PostgresDbContext(options);
        var error = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => PostgresMigrator.MigrateAsync(db, CancellationToken.None));
        Assert.Contains($"Cannot use PostgreSQL at 127.0.0.1:{port}, database 'console', user 'console'", error.Message);
        Assert.Contains("Check ConnectionStrings:Console", error.Message);
    }

    [Theory]
    [InlineData("Mysql", "Database:Provider is 'Mysql'; use Sqlite")]
    [InlineData("1", "Database:Provider is '1'; use Sqlite")]
    public void A_wrong_provider_name_says_which_ones_exist(string provider, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = provider }).Build();
        Assert.StartsWith(expected, Assert.Throws<InvalidOperationException>(() => DatabaseSettings.ReadProvider(configuration)).Message);
    }

    [Theory]
    [InlineData("postgres", DatabaseProvider.Postgres)]
    [InlineData("Sqlite", DatabaseProvider.Sqlite)]
    [InlineData(null, DatabaseProvider.Sqlite)]
    public void The_provider_names_are_read_case_blind_and_sqlite_is_the_default(string? provider, DatabaseProvider expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = provider }).Build();
        Assert.Equal(expected, DatabaseSettings.ReadProvider(configuration));
    }

    [Theory]
    [InlineData("", "ConnectionStrings:Console is empty")]
    [InlineData("Data Source=data/console.db", "is not an Npgsql connection string")]
    [InlineData("Database=console", "names no Host")]
    [InlineData("Host=db", "names no Database")]
    public void A_postgres_connection_string_is_checked_before_it_is_used(string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Console"] = value }).Build();
        Assert.Contains(expected, Assert.Throws<InvalidOperationException>(() => DatabaseSettings.PostgresConnectionString(configuration)).Message);
    }

    [Fact]
    public void A_postgres_connection_string_gets_prepared_statements_and_no_reset_unless_it_says_otherwise()
    {
        static NpgsqlConnectionStringBuilder Read(string value) => new(DatabaseSettings.PostgresConnectionString(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Console"] = value }).Build()));

        var defaults = Read("Host=db;Database=console");
        Assert.Equal(64, defaults.MaxAutoPrepare);
        Assert.Equal(2, defaults.AutoPrepareMinUsages);
        Assert.True(defaults.NoResetOnClose);
        Assert.Equal("-c plan_cache_mode=force_custom_plan", defaults.Options);

        var chosen = Read("Host=db;Database=console;Max Auto Prepare=0;No Reset On Close=false");
        Assert.Equal(0, chosen.MaxAutoPrepare);
        Assert.False(chosen.NoResetOnClose);
    }
}
