namespace WebhookConsole.Operations;

/// <summary>What operators plug into: health endpoints (and, beside them, the API reference and metrics).</summary>
public static class OperationsExtensions
{
    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddConsoleHealthChecks(builder.Configuration);
        builder.Services.AddApiReference();
        return builder;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapConsoleHealth();
        app.MapApiReference();
        return app;
    }
}
