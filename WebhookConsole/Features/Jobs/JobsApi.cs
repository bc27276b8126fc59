using System.Text.Json.Nodes;
using WebhookConsole.Http;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Jobs;

/// <summary><c>/api/v1/jobs</c> (API.md, "Webhook jobs"), scope <c>jobs:manage</c>.</summary>
public static class JobsApi
{
    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/jobs").RequireAuthorization(Policies.ApiJobs);

        group.MapGet("/", async (JobsService jobs, string? status, Guid? webhook, DateTime? from, DateTime? to, string? q, int? limit, string? pageToken,
            string? type, string? action, CancellationToken ct) =>
        {
            JobStatus? parsed = null;
            if (status is not null)
            {
                if (!Enum.TryParse<JobStatus>(status, true, out var s) || int.TryParse(status, out _)) return Problems.BadRequest("status is pending, failed, succeeded, received or abandoned.");
                parsed = s;
            }
            if (limit is < 1 or > JobsService.MaxLimit) return Problems.BadRequest($"limit is between 1 and {JobsService.MaxLimit}.");
            try
            {
                var page = await jobs.ListAsync(new JobQuery(parsed, null, webhook, type, action, StatusClass.Any, from?.ToUniversalTime(), to?.ToUniversalTime(), q, limit ?? 50, pageToken), ct);
                return Results.Json(new { items = page.Items.Select(Row), nextPageToken = page.NextPageToken }, ApiJson.Options);
            }
            catch (InvalidPageTokenException ex)
            {
                return Problems.BadRequest(ex.Message);
            }
        });

        group.MapGet("/{id:guid}", async (Guid id, JobsService jobs, CancellationToken ct) =>
            await jobs.GetAsync(id, ct) is { } job ? Results.Json(Detail(job), ApiJson.Options) : Problems.NotFound($"There is no job {id}."));

        group.MapPost("/{id:guid}/retry", async (Guid id, HttpRequest request, JobsService jobs, HttpContext http, CancellationToken ct) =>
        {
            RetryRequest? edit = null;
            if (RequestBody.IsPresent(request))
            {
                var (node, error) = await RequestBody.ReadJsonAsync(request, 2 * 1024 * 1024, ct);
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
            return await ToResult(await jobs.RetryAsync(Actor.From(http.User), id, edit, ct), id, jobs, ct);
        });

        group.MapPost("/{id:guid}/abandon", async (Guid id, JobsService jobs, HttpContext http, CancellationToken ct) =>
            await ToResult(await jobs.AbandonAsync(Actor.From(http.User), id, ct), id, jobs, ct));

        group.MapPost("/retry", async (HttpRequest request, JobsService jobs, HttpContext http, CancellationToken ct) =>
        {
            JobStatus? status = JobStatus.Failed;
            Guid? webhook = null;
            DateTime? from = null, to = null;
            if (RequestBody.IsPresent(request))
            {
                var (node, error) = await RequestBody.ReadJsonAsync(request, 64 * 1024, ct);
                if (error is not null) return error;
                var (filter, bindError) = RequestBody.Bind<BulkRetry>(node!);
                if (bindError is not null) return Problems.BadRequest(bindError);
                if (filter!.Status is { } s)
                {
                    if (!Enum.TryParse<JobStatus>(s, true, out var parsed)) return Problems.BadRequest("status is pending, failed, succeeded, received or abandoned.");
                    status = parsed;
                }
                (webhook, from, to) = (filter.Webhook, filter.From?.ToUniversalTime(), filter.To?.ToUniversalTime());
            }
            var query = new JobQuery(status, null, webhook, From: from, To: to);
            if (JobsService.BulkRetryRefusal(query) is { } refusal) return Problems.BadRequest(refusal);
            var count = await jobs.RetryManyAsync(Actor.From(http.User), query, null, ct);
            return Results.Json(new { retried = count }, ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
        });
        return app;
    }

    private sealed record BulkRetry(Guid? Webhook, string? Status, DateTime? From, DateTime? To);

    private static async Task<IResult> ToResult(ActionResult result, Guid id, JobsService jobs, CancellationToken ct) => result.Status switch
    {
        ActionStatus.Ok => Results.Json(Detail((await jobs.GetAsync(id, ct))!), ApiJson.Options, statusCode: StatusCodes.Status202Accepted),
        ActionStatus.NotFound => Problems.NotFound(result.Message),
        ActionStatus.Conflict => Problems.Conflict(result.Message),
        _ => Problems.BadRequest(result.Message),
    };

    private static object Row(JobRow j) => new
    {
        id = j.Id, webhookId = j.WebhookId, webhook = j.WebhookName, eventId = j.EventId, type = j.EventType, action = j.EventAction,
        status = j.Status.ToString().ToLowerInvariant(), summary = j.Summary, attemptCount = j.AttemptCount, url = j.Url,
        createdAt = j.CreatedAt, nextAttemptAt = j.NextAttemptAt, completedAt = j.CompletedAt, edited = j.Edited,
    };

    private static object Detail(WebhookJob j) => new
    {
        id = j.Id, webhookId = j.WebhookId, webhook = j.WebhookName, eventId = j.EventId,
        status = j.Status.ToString().ToLowerInvariant(), url = j.Url, requestBody = j.RequestBody,
        originalUrl = j.OriginalUrl, originalRequestBody = j.OriginalRequestBody,
        attemptCount = j.AttemptCount, nextAttemptAt = j.NextAttemptAt, summary = j.Summary, createdAt = j.CreatedAt, completedAt = j.CompletedAt,
        attempts = j.Attempts.OrderBy(a => a.Number).Select(a => new
        {
            number = a.Number, trigger = a.Trigger.ToString().ToLowerInvariant(), triggeredBy = a.TriggeredBy, startedAt = a.StartedAt, durationMs = a.DurationMs,
            url = j.UrlOf(a), requestHeaders = a.RequestHeaders.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase), requestBody = j.BodyOf(a),
            statusCode = a.StatusCode, responseHeaders = a.ResponseHeaders.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => string.Join(", ", g.Select(h => h.Value))),
            responseBody = a.ResponseBody, errorKind = a.ErrorKind?.ToString().ToLowerInvariant(), error = a.Error,
        }),
    };
}
