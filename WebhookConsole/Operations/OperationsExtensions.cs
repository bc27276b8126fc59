namespace WebhookConsole.Operations;

/// <summary>What operators plug into: health endpoints, the API reference, metrics and traces.</summary>
public static class OperationsExtensions
{
    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddConsoleHealthChecks(builder.Configuration);
        builder.Services.AddApiReference();
        builder.AddConsoleTelemetry();
        return builder;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapConsoleHealth();
        app.MapApiReference();
        app.MapConsoleMetrics();
        return app;
    }
}
