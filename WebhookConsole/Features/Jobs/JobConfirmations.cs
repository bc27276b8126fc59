using MudBlazor;

namespace WebhookConsole.Features.Jobs;

/// <summary>The questions both job pages ask before an action that cannot be taken back, worded once.</summary>
public static class JobConfirmations
{
    public static async Task<bool> AbandonAsync(IDialogService dialogs, int count = 1) =>
        await dialogs.ShowMessageBoxAsync(count == 1 ? "Abandon job" : "Abandon jobs",
            count == 1
                ? "Abandon this job? It will not be retried again; you can still retry it by hand later."
                : $"Abandon {count} jobs? They will not be retried again; succeeded jobs are left as they are. You can still retry them by hand later.",
            yesText: "Abandon", cancelText: "Cancel") == true;

    public static async Task<bool> RetryWithCurrentSettingsAsync(IDialogService dialogs) =>
        await dialogs.ShowMessageBoxAsync("Retry with the webhook's current settings",
            "Render this job's URL and headers again from the webhook as it is now, and send it? The body stays as it is; the first request stays on the job.",
            yesText: "Retry", cancelText: "Cancel") == true;
}
