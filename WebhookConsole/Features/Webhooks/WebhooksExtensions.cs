namespace WebhookConsole.Features.Webhooks;

/// <summary>Webhooks: the editor's service and rules, the filter try-out, the Test button, and the API.</summary>
public static class WebhooksExtensions
{
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<WebhookService>();
        builder.Services.AddSingleton<WebhookValidator>();
        builder.Services.AddSingleton<TryItService>();
        builder.Services.AddSingleton<TestDelivery>();
        builder.Services.AddSingleton<SecretRotation>();
        return builder;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app) => app.MapWebhooksApi();
}
