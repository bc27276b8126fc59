using WebhookConsole.Common;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Features.Jobs;

/// <summary>What <c>/api/v1/jobs</c> answers (API.md, "Webhook jobs"); enums in lower case.</summary>
public sealed record JobListReply(IReadOnlyList<JobListItem> Items, string? NextPageToken);

public sealed record JobListItem(Guid Id, Guid WebhookId, string Webhook, Guid? EventId, string Type, string Action, string Status, string? Summary,
    int AttemptCount, string Url, DateTime CreatedAt, DateTime? NextAttemptAt, DateTime? CompletedAt, bool Edited)
{
    public static JobListItem From(JobRow j) => new(j.Id, j.WebhookId, j.WebhookName, j.EventId, j.EventType, j.EventAction, EnumNames.Format(j.Status),
        j.Summary, j.AttemptCount, j.Url, j.CreatedAt, j.NextAttemptAt, j.CompletedAt, j.Edited);
}

public sealed record JobDetail(Guid Id, Guid WebhookId, string Webhook, Guid? EventId, string Status, string Url, string RequestBody,
    string? OriginalUrl, string? OriginalRequestBody, int AttemptCount, DateTime? NextAttemptAt, string? Summary, DateTime CreatedAt, DateTime? CompletedAt,
    IReadOnlyList<AttemptDetail> Attempts)
{
    public static JobDetail From(WebhookJob j) => new(j.Id, j.WebhookId, j.WebhookName, j.EventId, EnumNames.Format(j.Status), j.Url, j.RequestBody,
        j.OriginalUrl, j.OriginalRequestBody, j.AttemptCount, j.NextAttemptAt, j.Summary, j.CreatedAt, j.CompletedAt,
        j.Attempts.OrderBy(a => a.Number).Select(a => AttemptDetail.From(j, a)).ToList());
}

/// <summary>One attempt as it was sent (URL, headers, body) and what came back.</summary>
public sealed record AttemptDetail(int Number, string Trigger, string? TriggeredBy, DateTime StartedAt, int DurationMs, string Url,
    IReadOnlyDictionary<string, string> RequestHeaders, string RequestBody, int? StatusCode, IReadOnlyDictionary<string, string> ResponseHeaders,
    string? ResponseBody, string? ErrorKind, string? Error,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Instance)
{
    public static AttemptDetail From(WebhookJob j, JobAttempt a) => new(a.Number, EnumNames.Format(a.Trigger), a.TriggeredBy, a.StartedAt, a.DurationMs, j.UrlOf(a),
        a.RequestHeaders.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase), j.BodyOf(a), a.StatusCode,
        a.ResponseHeaders.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => string.Join(", ", g.Select(h => h.Value))),
        a.ResponseBody, a.ErrorKind is { } kind ? EnumNames.Format(kind) : null, a.Error, a.Instance);
}

public sealed record BulkRetryReply(int Retried);

/// <summary>
/// A retry, optionally edited: a new path and query (the origin stays the job's) and/or body; or, with
/// <paramref name="UseCurrentWebhook"/>, the URL and headers rendered again from the webhook as it is now.
/// </summary>
public sealed record RetryRequest(string? Url, string? Body, bool UseCurrentWebhook = false);

public enum ActionStatus { Ok, NotFound, Invalid, Conflict }

public sealed record ActionResult(ActionStatus Status, string Message);

/// <summary>A webhook as the jobs console's filter lists it.</summary>
public sealed record WebhookChoice(Guid Id, string Name);
