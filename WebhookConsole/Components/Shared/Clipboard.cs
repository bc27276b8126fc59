using Microsoft.JSInterop;
using MudBlazor;

namespace WebhookConsole.Components.Shared;

public static class Clipboard
{
    /// <summary>Copies text through the browser and says how it went.</summary>
    public static async Task CopyAsync(this IJSRuntime js, ISnackbar snackbar, string text)
    {
        try
        {
            await js.InvokeVoidAsync("webhookConsole.copyText", text);
            snackbar.Add("Copied to the clipboard.", Severity.Success);
        }
        catch (JSException)
        {
            snackbar.Add("The browser refused the clipboard; select the text and copy it by hand.", Severity.Warning);
        }
    }
}
