namespace WebhookConsole.Features.Events;

/// <summary>The events pages: the list and detail (<see cref="EventsQuery"/>) and the simulator.</summary>
public static class EventPagesExtensions
{
    public static IHostApplicationBuilder AddEventPages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventsQuery>();
        builder.Services.AddSingleton<SimulatorService>();
        return builder;
    }
}
