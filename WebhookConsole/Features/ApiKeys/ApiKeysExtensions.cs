namespace WebhookConsole.Features.ApiKeys;

public static class ApiKeysExtensions
{
    public static IHostApplicationBuilder AddApiKeys(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<ApiKeyService>();
        return builder;
    }
}
