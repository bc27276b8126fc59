using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Features.Jobs;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>
/// The durable lane for page tests: a real Hangfire.Storage.SQLite file in a temporary folder, and a Hangfire
/// server over the test's own services once <see cref="StartServer"/> is called.
/// </summary>
public sealed class TestDurableLane : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("wc-hangfire-");
    private BackgroundJobServer? _server;

    public TestDurableLane()
    {
        Storage = DurableLane.OpenStorage(Path.Combine(_dir.FullName, "console.hangfire.db"), NullLogger.Instance);
    }

    public JobStorage Storage { get; }

    public void Register(IServiceCollection services)
    {
        services.AddSingleton(Storage);
        services.AddSingleton<IBackgroundJobClient>(new BackgroundJobClient(Storage));
    }

    public void StartServer(IServiceProvider services)
    {
        _server ??= new BackgroundJobServer(new BackgroundJobServerOptions
        {
            Activator = new HostJobActivator(services.GetRequiredService<IServiceScopeFactory>()),
            WorkerCount = 1,
            ServerName = "page-tests:" + Guid.NewGuid().ToString("N")[..8],
        }, Storage);
    }

    public void Dispose()
    {
        _server?.SendStop();
        _server?.Dispose();
        try { _dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
