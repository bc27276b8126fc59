namespace WebhookConsole.Features.Callbacks;

/// <summary>Receivers' status callbacks. The platform's contract names the route <c>/api/v1/notifications</c>.</summary>
public static class CallbacksExtensions
{
    public static IEndpointRouteBuilder MapCallbacks(this IEndpointRouteBuilder app) => app.MapCallbackApi();
}
