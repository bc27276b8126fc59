namespace WebhookConsole.Features.Notifications;

/// <summary>The admins' bell: what the console wants a person to know (a webhook disabled, …).</summary>
public static class NotificationsExtensions
{
    public static IHostApplicationBuilder AddNotifications(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<NotificationService>();
        return builder;
    }
}
