namespace WebhookConsole.Events;

/// <summary>Ingestion: validate, match (the in-memory <see cref="WebhookIndex"/>), write jobs, and the events API.</summary>
public static class EventsExtensions
{
    public static IHostApplicationBuilder AddEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<EventsOptions>(builder.Configuration.GetSection("Events"));
        builder.Services.AddSingleton<WebhookIndex>();
        builder.Services.AddSingleton<EventMatcher>();
        builder.Services.AddSingleton<EventProcessor>();
        return builder;
    }

    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app) => app.MapEventsApi();
}
