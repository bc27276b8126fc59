using Microsoft.AspNetCore.Mvc;
using WebhookConsole.Http;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Security;
using WebhookConsole.Catalog;

namespace WebhookConsole.Features.Webhooks;

/// <summary><c>/api/v1/webhooks</c> (API.md): scripts outside the project rely on these routes and shapes.</summary>
public static class WebhooksApi
{
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/catalog", () => Results.Ok(new
        {
            types = EventCatalog.Types.Select(t => new { type = t.Type, scope = t.Scope.ToString(), actions = t.Actions, bindings = t.Bindings, hasForm = t.HasForm }),
        })).RequireAuthorization(p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());

        var group = app.MapGroup("/api/v1/webhooks").RequireAuthorization(Policies.ApiWebhooks);

        group.MapGet("/", async (WebhookService service, HttpContext http, string? search, string? scope, string? type, string? @event, bool? enabled,
            string? sort, bool? descending, int? page, int? pageSize, CancellationToken ct) =>
        {
            WebhookScope? scopeFilter = null;
            if (scope is not null)
            {
                if (!WebhookNames.TryParse<WebhookScope>(scope, out var s)) return Problems.BadRequest("scope is Space or Kapp.");
                scopeFilter = s;
            }
            var result = await service.ListAsync(new WebhookQuery(search, scopeFilter, type, @event, enabled, sort ?? "name", descending ?? false, page ?? 0, pageSize ?? 100), Actor.From(http.User), ct);
            return Results.Ok(new { items = result.Items, total = result.Total });
        });

        group.MapGet("/{id:guid}", async (Guid id, WebhookService service, HttpContext http, CancellationToken ct) =>
        {
            var w = await service.GetAsync(id, Actor.From(http.User), ct);
            if (w is null) return Problems.NotFound($"There is no webhook {id}.");
            http.Response.Headers.ETag = $"\"{w.Version}\"";
            return Results.Ok(w);
        });

        group.MapPost("/", async (HttpRequest request, WebhookService service, HttpContext http, CancellationToken ct) =>
        {
            var (input, error) = await RequestBody.ReadAsync<WebhookInput>(request, MaxBodyBytes, ct);
            if (error is not null) return error;
            var result = await service.CreateAsync(Actor.From(http.User), input!, ct);
            return ToResult(result, http, created: true);
        });

        group.MapPut("/{id:guid}", async (Guid id, HttpRequest request, WebhookService service, HttpContext http, CancellationToken ct) =>
        {
            var (input, error) = await RequestBody.ReadAsync<WebhookInput>(request, MaxBodyBytes, ct);
            if (error is not null) return error;
            // If-Match: "<version>" (from the ETag of a GET) is the HTTP way to say "only if unchanged".
            string? ifMatch = request.Headers.IfMatch;
            if (ifMatch is not null && ifMatch != "*")
            {
                if (!long.TryParse(ifMatch.Trim('"', 'W', '/'), out var expected)) return Problems.BadRequest("If-Match holds the ETag of a GET, such as \"3\".");
                var current = await service.GetAsync(id, Actor.From(http.User), ct);
                if (current is null) return Problems.NotFound($"There is no webhook {id}.");
                if (current.Version != expected)
                {
                    return Results.Problem(statusCode: 412, title: "Changed meanwhile",
                        detail: $"{current.UpdatedBy ?? "Someone"} changed this webhook at {current.UpdatedAt:u}; GET it again and reapply your change.");
                }
                input = input! with { Version = expected };
            }
            var result = await service.UpdateAsync(Actor.From(http.User), id, input!, ct);
            return ToResult(result, http, created: false);
        });

        group.MapPost("/{id:guid}/test", async (Guid id, Dispatching.TestDelivery tester, HttpContext http, CancellationToken ct) =>
        {
            var result = await tester.SendAsync(Actor.From(http.User), id, ct);
            return result is null ? Problems.NotFound($"There is no webhook {id}.") : Results.Json(result, ApiJson.Options);
        });

        group.MapDelete("/{id:guid}", async (Guid id, WebhookService service, HttpContext http, CancellationToken ct) =>
            await service.DeleteAsync(Actor.From(http.User), id, ct) == SaveStatus.Ok
                ? Results.NoContent()
                : Problems.NotFound($"There is no webhook {id}."));

        return app;
    }

    /// <summary>A webhook is small; anything near this is a mistake, not a webhook.</summary>
    private const long MaxBodyBytes = 256 * 1024;

    private static IResult ToResult(SaveResult result, HttpContext http, bool created)
    {
        switch (result.Status)
        {
            case SaveStatus.Ok:
                http.Response.Headers.ETag = $"\"{result.Webhook!.Version}\"";
                return created ? Results.Created($"/api/v1/webhooks/{result.Webhook.Id}", result.Webhook) : Results.Ok(result.Webhook);
            case SaveStatus.Invalid:
                return Problems.Validation(result.Errors!, DescribeErrors(result.Errors!));
            case SaveStatus.NotFound:
                return Problems.NotFound(result.Message!);
            default:
                return Problems.Conflict(result.Message!);
        }
    }

    /// <summary>The first errors in one sentence, for clients that only show <c>detail</c>.</summary>
    private static string DescribeErrors(IDictionary<string, string[]> errors) =>
        string.Join(" ", errors.Take(3).Select(e => $"{e.Key}: {e.Value[0]}")) + (errors.Count > 3 ? $" (and {errors.Count - 3} more)" : "");
}
