namespace WebhookConsole.Features.Overview;

/// <summary>The overview page (<c>/</c>) and the delivery charts it shares with the webhook page.</summary>
public static class OverviewExtensions
{
    public static IHostApplicationBuilder AddOverview(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeliveryStats>();
        return builder;
    }
}
