using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WebhookConsole.Data;
using WebhookConsole.Dispatching.Lanes;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>
/// The console's own services for page tests, registered by the same <c>AddConsoleServices</c> call Program makes,
/// on a test's temporary database. Nothing runs in the background (hosted services are left out) and deliveries are
/// held (<see cref="HeldDeliveryQueue"/>); a test adds its own stand-ins after this.
/// </summary>
public static class PageServices
{
    public static IServiceCollection Describe(ITestDatabase db, Action<IServiceCollection>? overrides = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = db.Provider.ToString(),
            ["ConnectionStrings:Console"] = db.ConnectionString,
            ["Dispatch:Enabled"] = "false",
        });
        builder.AddConsoleServices();
        var services = new ServiceCollection();
        foreach (var d in builder.Services.Where(d => d.ServiceType != typeof(IHostedService))) ((ICollection<ServiceDescriptor>)services).Add(d);
        services.AddLogging();
        services.AddSingleton<IDbContextFactory<AppDbContext>>(db);
        services.AddSingleton<IDeliveryQueue, HeldDeliveryQueue>();
        overrides?.Invoke(services);
        return services;
    }

    /// <summary>Adds them to a bUnit context's container.</summary>
    public static void AddConsoleServices(this IServiceCollection target, ITestDatabase db, Action<IServiceCollection>? overrides = null)
    {
        foreach (var d in Describe(db, overrides)) target.Add(d);
    }

    /// <summary>
    /// A provider of its own over the same database, for seeding before a render: resolving from bUnit's container
    /// would freeze its registrations.
    /// </summary>
    public static ServiceProvider Seeder(ITestDatabase db, Action<IServiceCollection>? overrides = null) => Describe(db, overrides).BuildServiceProvider();
}
