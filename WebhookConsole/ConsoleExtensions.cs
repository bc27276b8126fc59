using MudBlazor.Services;
using WebhookConsole.Auditing;
using WebhookConsole.Catalog;
using WebhookConsole.Components;
using WebhookConsole.Data;
using WebhookConsole.Dispatching;
using WebhookConsole.Events;
using WebhookConsole.Features.Account;
using WebhookConsole.Features.ApiKeys;
using WebhookConsole.Features.Audit;
using WebhookConsole.Features.Callbacks;
using WebhookConsole.Features.Events;
using WebhookConsole.Features.Inspector;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Features.Notifications;
using WebhookConsole.Features.Overview;
using WebhookConsole.Features.Users;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Filtering;
using WebhookConsole.Http;
using WebhookConsole.Operations;
using WebhookConsole.Retention;
using WebhookConsole.Security;

namespace WebhookConsole;

/// <summary>The app's wiring, kept out of Program.cs: one Add/Use/Map per concern.</summary>
public static class ConsoleExtensions
{
    /// <summary>
    /// appsettings.json lives at the repository root and is copied next to the binaries. Load that copy
    /// first, so `dotnet run` from anywhere, a published folder and test hosts read the same settings;
    /// environment variables and the command line still override it.
    /// </summary>
    public static IHostApplicationBuilder AddRootSettings(this IHostApplicationBuilder builder)
    {
        var file = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (File.Exists(file) && builder.Configuration is IConfigurationBuilder config)
        {
            var source = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
            {
                Path = file, Optional = true, ReloadOnChange = false,
                FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
            };
            source.Path = "appsettings.json";
            config.Sources.Insert(0, source);
        }
        return builder;
    }

    /// <summary>
    /// Every area's services, in the order of the layers (docs/architecture.md). Each area registers its own in one
    /// <c>AddX</c> in a file named for it (<c>Features/Jobs/JobsExtensions.cs</c>, …); the page tests build their
    /// services through this same call.
    /// </summary>
    public static IHostApplicationBuilder AddConsoleServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        return builder
            .AddData()
            .AddSecurity()
            .AddAuditing()
            .AddHttp()
            .AddFiltering()
            .AddEvents()
            .AddDispatching()
            .AddRetention()
            .AddOperations()
            .AddWebhooks()
            .AddJobs()
            .AddEventPages()
            .AddUsers()
            .AddApiKeys()
            .AddAudit()
            .AddNotifications()
            .AddOverview()
            .AddInspector();
    }

    /// <summary>Blazor Server (interactive server render mode) and MudBlazor.</summary>
    public static IHostApplicationBuilder AddConsolePages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        return builder;
    }

    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DatabaseInitializer>().InitializeAsync(app.Lifetime.ApplicationStopping);
    }

    public static WebApplication UseConsole(this WebApplication app)
    {
        app.UseWebDefenses();
        // The API answers problem details (never a stack trace, in any environment); pages get the error page.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), api =>
        {
            api.UseExceptionHandler();
            api.UseStatusCodePages();
            // No endpoint matched: answer 404 here, before the sign-in fallback policy turns it into a login redirect.
            api.Use((context, next) => context.GetEndpoint() is null
                ? Results.Problem(statusCode: 404, title: "Not found", detail: $"There is no API route {context.Request.Path}; see API.md for the routes.").ExecuteAsync(context)
                : next(context));
        });
        app.UseWhen(c => !c.Request.Path.StartsWithSegments("/api"), pages =>
        {
            if (!app.Environment.IsDevelopment()) pages.UseExceptionHandler("/Error", createScopeForErrors: true);
            pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapAccount();
        app.MapCatalog();
        app.MapWebhooks();
        app.MapEvents();
        app.MapJobs();
        app.MapCallbacks();
        app.MapInspector();
        app.MapDispatching();
        app.MapOperations();
        // Every page needs a signed-in user; the sign-in pages opt out with [AllowAnonymous]. (A global
        // fallback policy would also catch the API's 404/405 endpoints and turn them into login redirects.)
        // The console's own Content-Security-Policy (WebDefenses.ContentSecurityPolicy) says frame-ancestors 'none';
        // Blazor's default header ('self') would stand in its place.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null).RequireAuthorization();
        return app;
    }
}
