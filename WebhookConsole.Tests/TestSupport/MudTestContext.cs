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
