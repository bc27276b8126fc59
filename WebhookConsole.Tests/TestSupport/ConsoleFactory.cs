using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Data;
using WebhookConsole.Features.ApiKeys;
using WebhookConsole.Security;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>The whole console on its own temporary SQLite file, with a known admin and an all-scope API key.</summary>
public class ConsoleFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@test.local";
    public const string AdminPassword = "Admin-Passw0rd!";
    public const string SeedApiKey = "wck_test_seed_key_with_all_scopes_0123456789";

    private readonly string _dir;
    private readonly bool _ownsDirectory;

    public ConsoleFactory() : this(null)
    {
    }

    /// <param name="directory">A folder shared by consoles started one after another (a restart); the caller removes it.</param>
    protected ConsoleFactory(string? directory)
    {
        _ownsDirectory = directory is null;
        _dir = directory ?? Path.Combine(Path.GetTempPath(), "wc-tests-" + Guid.NewGuid().ToString("N")[..12]);
    }

    public string DatabasePath => Path.Combine(_dir, "console.db");

    /// <summary>The database this console runs on: its own SQLite file, or its own database on the tests' PostgreSQL server.</summary>
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private string? _postgres;

    /// <summary>Another instance's database this console joins; that instance's factory drops it.</summary>
    protected string? JoinedDatabase { get; init; }

    /// <summary>The console's Npgsql connection string when it runs on PostgreSQL (the database is created at its start).</summary>
    public string PostgresConnectionString => JoinedDatabase ?? (_postgres ??= PostgresServer.NewDatabase(create: false));

    protected virtual string EnvironmentName => "Testing";

    protected virtual bool DispatchEnabled => false;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_dir);
        builder.UseEnvironment(EnvironmentName);
        if (Provider == DatabaseProvider.Postgres)
        {
            builder.UseSetting("Database:Provider", "Postgres");
            builder.UseSetting("ConnectionStrings:Console", PostgresConnectionString);
        }
        else
        {
            builder.UseSetting("ConnectionStrings:Console", $"Data Source={DatabasePath}");
        }
        builder.UseSetting("Seed:AdminEmail", AdminEmail);
        builder.UseSetting("Seed:AdminPassword", AdminPassword);
        builder.UseSetting("Seed:ApiKey", SeedApiKey);
        builder.UseSetting("Logging:LogLevel:Default", Environment.GetEnvironmentVariable("WC_TEST_LOGLEVEL") ?? "Warning");
        // Tests of pages and ingestion leave jobs Pending; delivery tests turn the dispatcher on.
        builder.UseSetting("Dispatch:Enabled", DispatchEnabled ? "true" : "false");
        builder.UseSetting("Dispatch:WorkerCount", "2");
        builder.ConfigureTestServices(services => services.Replace(ServiceDescriptor.Singleton<IHostResolver, LoopbackOnlyResolver>()));
    }

    /// <summary>A client whose key has exactly these scopes.</summary>
    public async Task<HttpClient> CreateApiClientAsync(params string[] scopes)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await using var scope = Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync(Actor.System, "test " + string.Join(",", scopes), scopes);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Secret);
        return client;
    }

    public HttpClient CreateSeedKeyClient()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SeedApiKey);
        return client;
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_postgres is not null) PostgresServer.DropDatabase(_postgres);
        if (_ownsDirectory) try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The same console on PostgreSQL: a database of its own on the tests' server, or another instance's.</summary>
public sealed class PostgresConsoleFactory : ConsoleFactory
{
    /// <summary>A second instance on <paramref name="other"/>'s database (several consoles behind one load balancer).</summary>
    public static PostgresConsoleFactory Joining(PostgresConsoleFactory other) => new() { JoinedDatabase = other.PostgresConnectionString };

    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
