using Hangfire;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Microsoft.Extensions.Options;
using WebhookConsole.Security;

namespace WebhookConsole.Dispatching;

public static class DispatchingExtensions
{
    public static IHostApplicationBuilder AddDispatching(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection("Dispatch");
        services.Configure<DispatchOptions>(section);
        var options = section.Get<DispatchOptions>() ?? new DispatchOptions();

        services.AddSingleton<SsrfGuard>();
        services.AddHttpClient(DeliverySender.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                ConnectCallback = sp.GetRequiredService<SsrfGuard>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                MaxConnectionsPerServer = 256,
            })
            // The handler pool is the connection pool: keep it for the lifetime above rather than 2 minutes.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // Every attempt is recorded in full in the database. The factory's default request logging would
            // write each URL to the log (templates can put tokens in a query string) and opens a log scope per
            // request even when nothing is logged.
            .RemoveAllLoggers();

        services.AddSingleton<InFlightJobs>();
        services.AddSingleton<FreshJobs>();
        services.AddSingleton<RecoverySignal>();
        services.AddSingleton<DeliverySender>();
        services.AddSingleton<WebhookHealth>();
        services.AddSingleton<DeliveryStore>();
        services.AddTransient<DeliveryJob>();
        services.AddSingleton<HangfireDeliveryQueue>();
        services.AddSingleton<IDeliveryQueue>(sp => sp.GetRequiredService<HangfireDeliveryQueue>());
        services.AddSingleton<DeliveryRecovery>();
        services.AddSingleton<TestDelivery>();

        // Hangfire executes; the database is the source of truth (ARCHITECTURE.md decision 1).
        // The storage is this host's own instance, not Hangfire's static JobStorage.Current, so each host
        // (several in the test suite) keeps its own queue. Finished Hangfire jobs are only the dashboard's recent
        // history (every attempt is in our database), so they are kept for minutes, not held in memory for long.
        services.AddSingleton<JobStorage>(_ => new InMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromMinutes(10) }));
        services.AddHangfire((sp, c) => c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostLogProvider(sp.GetRequiredService<ILoggerFactory>())));
        if (options.Enabled)
        {
            services.AddHangfireServer((sp, o) =>
            {
                o.Activator = new HostJobActivator(sp.GetRequiredService<IServiceScopeFactory>());
                o.WorkerCount = Math.Max(1, options.WorkerCount);
                o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
            services.AddHostedService(sp => sp.GetRequiredService<DeliveryRecovery>());
        }
        return builder;
    }

    public static WebApplication MapDispatching(this WebApplication app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new AdminDashboardAuthorization()],
            DisplayStorageConnectionString = false,
            DashboardTitle = "WebhookConsole · Hangfire",
            AppPath = "/webhooks",
        }).RequireAuthorization(Policies.Admin);
        app.MapCallbackApi();
        return app;
    }

    /// <summary>Hangfire's dashboard is for signed-in Admins only.</summary>
    private sealed class AdminDashboardAuthorization : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context)
        {
            var user = context.GetHttpContext().User;
            return user.Identity?.IsAuthenticated == true && user.IsInRole(Roles.Admin);
        }
    }
}
