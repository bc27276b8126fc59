using WebhookConsole.Security;

namespace WebhookConsole.Catalog;

/// <summary><c>GET /api/v1/catalog</c>: the event types, their actions and bindings; any valid API key may read it.</summary>
public static class CatalogApi
{
    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/catalog", Get).WithTags("Catalog").WithSummary("The event types, their actions and bindings")
            .ProducesProblem(401).ProducesProblem(429)
            .RequireAuthorization(p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        return app;
    }

    public static CatalogReply Get() => new(EventCatalog.Types
        .Select(t => new CatalogType(t.Type, t.Scope.ToString(), t.Actions, t.Bindings, t.HasForm)).ToList());
}

public sealed record CatalogReply(IReadOnlyList<CatalogType> Types);

public sealed record CatalogType(string Type, string Scope, IReadOnlyList<string> Actions, IReadOnlyList<string> Bindings, bool HasForm);
