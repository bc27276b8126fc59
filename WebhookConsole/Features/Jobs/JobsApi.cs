using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using WebhookConsole.Common;
using WebhookConsole.Data.Entities;
using WebhookConsole.Http;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Jobs;

/// <summary><c>/api/v1/jobs</c> (API.md, "Webhook jobs"), scope <c>jobs:manage</c>.</summary>
public static class JobsApi
{
    private const long MaxRetryBodyBytes = 2 * 1024 * 1024;
    private const long MaxFilterBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/jobs").RequireAuthorization(Policies.ApiJobs)
            .WithTags("Jobs").WithProblems(400, 401, 403, 429);
        group.MapGet("/", ListAsync).WithSummary("List jobs, newest first");
        group.MapGet("/{id:guid}", GetAsync).WithSummary("Read a job with its attempts").WithProblems(404);
        group.MapPost("/{id:guid}/retry", RetryAsync).WithJsonBody<RetryInput>(optional: true).WithSummary("Retry a job, edited or not").WithProblems(404, 409, 413, 415);
        group.MapPost("/{id:guid}/abandon", AbandonAsync).WithSummary("Abandon a job").WithProblems(404, 409);
        group.MapPost("/retry", RetryManyAsync).WithJsonBody<BulkRetryFilter>(optional: true).WithSummary("Retry every job that matches a filter").WithProblems(413, 415);
        return app;
    }

    public static async Task<Results<Ok<JobListReply>, ProblemHttpResult>> ListAsync(JobsService jobs, string? status, Guid? webhook, DateTime? from, DateTime? to,
        string? q, int? limit, string? pageToken, string? type, string? action, CancellationToken ct)
    {
        JobStatus? parsed = null;
        if (status is not null)
        {
            if (!EnumNames.TryParse<JobStatus>(status, out var s)) return StatusRefused();
            parsed = s;
        }
        if (limit is < 1 or > JobsService.MaxLimit) return Problems.BadRequest($"limit is between 1 and {JobsService.MaxLimit}.");
        try
        {
            var page = await jobs.ListAsync(new JobQuery(parsed, null, webhook, type, action, StatusClass.Any, from?.ToUniversalTime(), to?.ToUniversalTime(), q, limit ?? 50, pageToken), ct);
            return TypedResults.Ok(new JobListReply(page.Items.Select(JobListItem.From).ToList(), page.NextPageToken));
        }
        catch (InvalidPageTokenException ex)
        {
            return Problems.BadRequest(ex.Message);
        }
    }

    public static async Task<Results<Ok<JobDetail>, ProblemHttpResult>> GetAsync(Guid id, JobsService jobs, CancellationToken ct) =>
        await jobs.GetAsync(id, ct) is { } job ? TypedResults.Ok(JobDetail.From(job)) : Problems.NotFound($"There is no job {id}.");

    /// <summary>Retries one job now; the body, when sent, edits it first (<c>url</c>, <c>body</c>, <c>useCurrentWebhook</c>).</summary>
    public static async Task<Results<Accepted<JobDetail>, ProblemHttpResult>> RetryAsync(Guid id, HttpRequest request, JobsService jobs, HttpContext http, CancellationToken ct)
    {
        RetryRequest? edit = null;
        if (RequestBody.IsPresent(request))
        {
            var (node, error) = await RequestBody.ReadJsonAsync(request, MaxRetryBodyBytes, ct);
            if (error is not null) return error;
            if (node is not JsonObject obj) return Problems.BadRequest("Send { \"url\": \"…\", \"body\": \"…raw JSON text…\" } or no body.");
            var url = obj["url"] is JsonValue u && u.TryGetValue<string>(out var us) ? us : null;
            var useCurrent = obj["useCurrentWebhook"] is JsonValue c && c.TryGetValue<bool>(out var cb) && cb;
            var body = obj["body"] switch
            {
                null => null,
                JsonValue v when v.TryGetValue<string>(out var text) => text,
                // A JSON object or array is taken as the new body itself.
                var other => other.ToJsonString(),
            };
            edit = new RetryRequest(url, body, useCurrent);
        }
        return await ToResultAsync(await jobs.RetryAsync(Actor.From(http.User), id, edit, ct), id, jobs, ct);
    }

    public static async Task<Results<Accepted<JobDetail>, ProblemHttpResult>> AbandonAsync(Guid id, JobsService jobs, HttpContext http, CancellationToken ct) =>
        await ToResultAsync(await jobs.AbandonAsync(Actor.From(http.User), id, ct), id, jobs, ct);

    /// <summary>Retries every job that matches a filter (by default: all failures).</summary>
    public static async Task<Results<Accepted<BulkRetryReply>, ProblemHttpResult>> RetryManyAsync(HttpRequest request, JobsService jobs, HttpContext http, CancellationToken ct)
    {
        JobStatus? status = JobStatus.Failed;
        Guid? webhook = null;
        DateTime? from = null, to = null;
        if (RequestBody.IsPresent(request))
        {
            var (filter, error) = await RequestBody.ReadAsync<BulkRetryFilter>(request, MaxFilterBytes, ct);
            if (error is not null) return error;
            if (filter!.Status is { } s)
            {
                if (!EnumNames.TryParse<JobStatus>(s, out var parsed)) return StatusRefused();
                status = parsed;
            }
            (webhook, from, to) = (filter.Webhook, filter.From?.ToUniversalTime(), filter.To?.ToUniversalTime());
        }
        var query = new JobQuery(status, null, webhook, From: from, To: to);
        if (JobsService.BulkRetryRefusal(query) is { } refusal) return Problems.BadRequest(refusal);
        var count = await jobs.RetryManyAsync(Actor.From(http.User), query, null, ct);
        return TypedResults.Accepted((string?)null, new BulkRetryReply(count));
    }

    private static ProblemHttpResult StatusRefused() => Problems.BadRequest($"status is {EnumNames.Choices<JobStatus>()}.");

    /// <summary>Which jobs <c>POST /api/v1/jobs/retry</c> retries (by default every failed one).</summary>
    public sealed record BulkRetryFilter(Guid? Webhook, string? Status, DateTime? From, DateTime? To);

    /// <summary>
    /// An edited retry, as <c>POST /api/v1/jobs/{id}/retry</c> reads it: <c>body</c> is the new request body as raw JSON
    /// text (or a JSON value, taken as the body itself); <c>url</c> may change the path and query only.
    /// </summary>
    public sealed record RetryInput(string? Url, JsonNode? Body, bool? UseCurrentWebhook);

    private static async Task<Results<Accepted<JobDetail>, ProblemHttpResult>> ToResultAsync(ActionResult result, Guid id, JobsService jobs, CancellationToken ct) => result.Status switch
    {
        ActionStatus.Ok => TypedResults.Accepted((string?)null, JobDetail.From((await jobs.GetAsync(id, ct))!)),
        ActionStatus.NotFound => Problems.NotFound(result.Message),
        ActionStatus.Conflict => Problems.Conflict(result.Message),
        _ => Problems.BadRequest(result.Message),
    };
}
