using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>
/// Shared bUnit base: MudBlazor services, loose JS interop (Monaco and MudBlazor call into JS), and a
/// popover provider so selects and menus can open. MudBlazor needs async disposal under xunit 2.
/// </summary>
public abstract class MudTestContext : BunitContext, IAsyncLifetime
{
    protected MudTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(o => o.PopoverOptions.CheckForPopoverProvider = false);
        Services.AddScoped<WebhookConsole.Security.ICurrentUser, ClaimsCurrentUser>();
    }

    /// <summary>
    /// Pages ask who is acting at each action; in a page test that is the bUnit user's claims. The real one, which
    /// reads the database, is tested on the running console (CurrentUserTests, the browser journeys).
    /// </summary>
    private sealed class ClaimsCurrentUser(Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider auth) : WebhookConsole.Security.ICurrentUser
    {
        public async Task<WebhookConsole.Security.Actor> ActorAsync() => WebhookConsole.Security.Actor.From((await auth.GetAuthenticationStateAsync()).User);
    }

    /// <summary>The console's services (<see cref="PageServices"/>), with the acting user taken from the bUnit claims.</summary>
    protected void AddConsoleServices(ITestDatabase db, Action<IServiceCollection>? overrides = null)
    {
        Services.AddConsoleServices(db, overrides);
        Services.AddScoped<WebhookConsole.Security.ICurrentUser, ClaimsCurrentUser>();
    }

    protected void RenderProviders()
    {
        Render<MudPopoverProvider>();
        Render<MudDialogProvider>();
        Render<MudSnackbarProvider>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await OnDisposedAsync();
    }

    /// <summary>Cleans up what a test class created beside the renderer (databases, files).</summary>
    protected virtual Task OnDisposedAsync() => Task.CompletedTask;
}
