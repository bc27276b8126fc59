namespace WebhookConsole.Features.Inspector;

/// <summary>The request inspector: bins in memory (this instance's), on by default in Development only.</summary>
public static class InspectorExtensions
{
    public static IHostApplicationBuilder AddInspector(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.Configure<InspectorOptions>(o => o.Enabled = development);
        builder.Services.Configure<InspectorOptions>(builder.Configuration.GetSection("Inspector"));
        builder.Services.AddSingleton<InspectorStore>();
        return builder;
    }

    public static IEndpointRouteBuilder MapInspector(this IEndpointRouteBuilder app) => app.MapInspectorEndpoints();
}
