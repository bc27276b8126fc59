using Microsoft.AspNetCore.Http.HttpResults;
using WebhookConsole.Common;
using WebhookConsole.Data.Entities;
using WebhookConsole.Http;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Webhooks;

/// <summary><c>/api/v1/webhooks</c> (API.md), scope <c>webhooks:manage</c>: scripts outside the project rely on these routes and shapes.</summary>
public static class WebhooksApi
{
    /// <summary>A webhook is small; anything near this is a mistake, not a webhook.</summary>
    private const long MaxBodyBytes = 256 * 1024;

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/webhooks").RequireAuthorization(Policies.ApiWebhooks)
            .WithTags("Webhooks").WithProblems(400, 401, 403, 429);
        group.MapGet("/", ListAsync).WithSummary("List webhooks");
        group.MapGet("/{id:guid}", GetAsync).WithSummary("Read a webhook").WithProblems(404);
        group.MapPost("/", CreateAsync).WithJsonBody<WebhookInput>().WithSummary("Create a webhook").WithProblems(409, 413, 415);
        group.MapPut("/{id:guid}", UpdateAsync).WithJsonBody<WebhookInput>().WithSummary("Change a webhook")
            .WithDescription("Fields left out keep their value. Send the version you read, or If-Match with a GET's ETag, to be refused (409 / 412) a save made meanwhile.")
            .WithProblems(404, 409, 412, 413, 415);
        group.MapPost("/{id:guid}/test", TestAsync).WithSummary("Deliver a sample event now").WithProblems(404);
        group.MapDelete("/{id:guid}", DeleteAsync).WithSummary("Delete a webhook").WithProblems(404);
        group.MapPost("/{id:guid}/signing/rotate", RotateAsync).WithJsonBody<RotateInput>(optional: true).WithSummary("Rotate the signing secret")
            .WithDescription("A new secret, shown once. Standard Webhooks schemes keep signing with the old one too for graceHours (default 24); github and jodoo replace it at once.")
            .WithProblems(404, 409, 413, 415);
        return app;
    }

    public static async Task<Results<Ok<WebhookListReply>, ProblemHttpResult>> ListAsync(WebhookService service, HttpContext http, string? search, string? scope,
        string? type, string? @event, bool? enabled, string? sort, bool? descending, int? page, int? pageSize, CancellationToken ct)
    {
        WebhookScope? scopeFilter = null;
        if (scope is not null)
        {
            if (!EnumNames.TryParse<WebhookScope>(scope, out var s)) return Problems.BadRequest("scope is Space or Kapp.");
            scopeFilter = s;
        }
        var result = await service.ListAsync(new WebhookQuery(search, scopeFilter, type, @event, enabled, sort ?? "name", descending ?? false, page ?? 0, pageSize ?? 100), Actor.From(http.User), ct);
        return TypedResults.Ok(new WebhookListReply(result.Items, result.Total));
    }

    public static async Task<Results<Ok<WebhookView>, ProblemHttpResult>> GetAsync(Guid id, WebhookService service, HttpContext http, CancellationToken ct)
    {
        var w = await service.GetAsync(id, Actor.From(http.User), ct);
        if (w is null) return Problems.NotFound($"There is no webhook {id}.");
        http.Response.Headers.ETag = ETag(w);
        return TypedResults.Ok(w);
    }

    public static async Task<Results<Created<WebhookView>, Ok<WebhookView>, ValidationProblem, ProblemHttpResult>> CreateAsync(HttpRequest request,
        WebhookService service, HttpContext http, CancellationToken ct)
    {
        var (input, error) = await RequestBody.ReadAsync<WebhookInput>(request, MaxBodyBytes, ct);
        if (error is not null) return error;
        return ToResult(await service.CreateAsync(Actor.From(http.User), input!, ct), http, created: true);
    }

    /// <summary>Replaces a webhook; <c>If-Match: "&lt;version&gt;"</c> (the ETag of a GET) makes it "only if unchanged".</summary>
    public static async Task<Results<Created<WebhookView>, Ok<WebhookView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(Guid id, HttpRequest request,
        WebhookService service, HttpContext http, CancellationToken ct)
    {
        var (input, error) = await RequestBody.ReadAsync<WebhookInput>(request, MaxBodyBytes, ct);
        if (error is not null) return error;
        string? ifMatch = request.Headers.IfMatch;
        if (ifMatch is not null && ifMatch != "*")
        {
            if (!long.TryParse(ifMatch.Trim('"', 'W', '/'), out var expected)) return Problems.BadRequest("If-Match holds the ETag of a GET, such as \"3\".");
            var current = await service.GetAsync(id, Actor.From(http.User), ct);
            if (current is null) return Problems.NotFound($"There is no webhook {id}.");
            if (current.Version != expected)
            {
                return Problems.Status(412, "Changed meanwhile",
                    $"{current.UpdatedBy ?? "Someone"} changed this webhook at {current.UpdatedAt:u}; GET it again and reapply your change.");
            }
            input = input! with { Version = expected };
        }
        return ToResult(await service.UpdateAsync(Actor.From(http.User), id, input!, ct), http, created: false);
    }

    /// <summary>The Test button: a sample event delivered now, recorded as a test job, its outcome returned.</summary>
    public static async Task<Results<Ok<TestResult>, ProblemHttpResult>> TestAsync(Guid id, TestDelivery tester, HttpContext http, CancellationToken ct) =>
        await tester.SendAsync(Actor.From(http.User), id, ct) is { } result ? TypedResults.Ok(result) : Problems.NotFound($"There is no webhook {id}.");

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, WebhookService service, HttpContext http, CancellationToken ct) =>
        await service.DeleteAsync(Actor.From(http.User), id, ct) == SaveStatus.Ok ? TypedResults.NoContent() : Problems.NotFound($"There is no webhook {id}.");

    public static async Task<Results<Ok<RotateReply>, ValidationProblem, ProblemHttpResult>> RotateAsync(Guid id, HttpRequest request, SecretRotation rotation, HttpContext http, CancellationToken ct)
    {
        double? grace = null;
        if (RequestBody.IsPresent(request))
        {
            var (input, error) = await RequestBody.ReadAsync<RotateInput>(request, 4 * 1024, ct);
            if (error is not null) return error;
            grace = input!.GraceHours;
        }
        var result = await rotation.RotateAsync(Actor.From(http.User), id, grace, ct);
        return result.Status switch
        {
            SaveStatus.Ok => TypedResults.Ok(new RotateReply(result.Secret, result.PublicKey, result.PreviousValidUntil, result.Note)),
            SaveStatus.NotFound => Problems.NotFound(result.Message!),
            SaveStatus.Invalid => Problems.BadRequest(result.Message!),
            _ => Problems.Conflict(result.Message!),
        };
    }

    private static string ETag(WebhookView w) => $"\"{w.Version}\"";

    private static Results<Created<WebhookView>, Ok<WebhookView>, ValidationProblem, ProblemHttpResult> ToResult(SaveResult result, HttpContext http, bool created)
    {
        switch (result.Status)
        {
            case SaveStatus.Ok:
                http.Response.Headers.ETag = ETag(result.Webhook!);
                return created ? TypedResults.Created($"/api/v1/webhooks/{result.Webhook!.Id}", result.Webhook) : TypedResults.Ok(result.Webhook!);
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

public sealed record WebhookListReply(IReadOnlyList<WebhookView> Items, int Total);

/// <summary>How long the rotated-out secret keeps signing, in hours (0: not at all).</summary>
public sealed record RotateInput(double? GraceHours);

/// <summary>
/// The new secret, shown this once (standard, github, jodoo), or the new public key (standard-ed25519, whose secret key
/// stays in the console); until when the previous one also signs (null: it stopped at once, and <c>note</c> says why).
/// </summary>
public sealed record RotateReply(
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Secret,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? PublicKey,
    DateTime? PreviousValidUntil,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Note);
