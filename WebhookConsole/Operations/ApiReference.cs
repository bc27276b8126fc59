using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using WebhookConsole.Security;

namespace WebhookConsole.Operations;

/// <summary>
/// The API's OpenAPI document at <c>/openapi/v1.json</c> (every <c>/api/v1</c> route, with its request and response
/// schemas, its problem details and the bearer scheme) and Scalar's reference page at <c>/api-docs</c>. Both for
/// signed-in users; the document also for any API key, so clients can be generated from it. The page runs under the
/// console's Content-Security-Policy with a per-request nonce for Scalar's inline start-up script, its bundle served
/// from here, no web fonts, no telemetry: nothing is fetched from another origin.
/// </summary>
public static class ApiReference
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string PagePath = "/api-docs";
    public const string BearerScheme = "bearer";
    private const string ReaderPolicy = "api-reference";

    public static IServiceCollection AddApiReference(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("api/v1/", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "WebhookConsole API",
                    Version = "v1",
                    Description = "Events in, webhooks and their jobs. Errors are RFC 9457 problem details that say what to fix. " +
                        "Authenticate with an API key: 'Authorization: Bearer wck_…' (the scopes are events:write, webhooks:manage and jobs:manage).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key created under API Keys (wck_…); the status callback takes '{webhookId}:{callbackSecret}' instead.",
                };
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
                return Task.CompletedTask;
            });
        });
        services.AddAuthorizationBuilder().AddPolicy(ReaderPolicy, p => p
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme, ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser());
        return services;
    }

    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").RequireAuthorization(ReaderPolicy);
        app.MapScalarApiReference(PagePath, o => o
                .WithTitle("WebhookConsole API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .WithNonce()
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools()
                .AddPreferredSecuritySchemes(BearerScheme))
            .RequireAuthorization()
            .AddEndpointFilter(async (context, next) =>
            {
                // Scalar writes its nonce on the page's scripts and leaves it here; the policy names it.
                var http = context.HttpContext;
                http.Response.OnStarting(() =>
                {
                    if (http.Items[ScalarOptions.NonceHttpContextItemKey] is string nonce)
                    {
                        http.Response.Headers.ContentSecurityPolicy = WebDefenses.ContentSecurityPolicy.Replace("script-src 'self'", $"script-src 'self' 'nonce-{nonce}'");
                    }
                    return Task.CompletedTask;
                });
                return await next(context);
            });
        return app;
    }
}
