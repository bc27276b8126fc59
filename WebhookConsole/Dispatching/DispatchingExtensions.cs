using Hangfire;
using Hangfire.Dashboard;
using Microsoft.Extensions.Options;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Dispatching.Sending;
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

        services.AddSingleton<IHostResolver, DnsHostResolver>();
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

        services.AddSingleton<RecoverySignal>();
        services.AddSingleton<DeliverySender>();
        services.AddSingleton<WebhookHealth>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<AttemptRecorder>();
        services.AddSingleton<JournalRecovery>();

        // Two lanes (ARCHITECTURE.md decision 1). Deliveries: the fast lane, in this process, driven by our
        // database (the source of truth for every delivery). Periodic and bulk work: the durable lane, Hangfire on
        // SQLite in its own file. Each host (several in the test suite) has its own instances of both.
        services.AddSingleton<DeliveryLane>();
        services.AddSingleton<IDeliveryQueue>(sp => sp.GetRequiredService<DeliveryLane>());
        if (options.Enabled) services.AddHostedService(sp => sp.GetRequiredService<DeliveryLane>());
        services.AddDurableLane(builder.Configuration, options);
        return builder;
    }

    /// <summary>Hangfire's dashboard (the durable lane), for Admins.</summary>
    public static WebApplication MapDispatching(this WebApplication app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new AdminDashboardAuthorization()],
            DisplayStorageConnectionString = false,
            DashboardTitle = "WebhookConsole · Hangfire",
            AppPath = "/webhooks",
        }).RequireAuthorization(Policies.Admin);
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
