using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebhookConsole.Events;

/// <summary>One event as the platform posts it (API.md, "Events in").</summary>
public sealed record EventInput
{
    public string? Id { get; init; }
    public string? Type { get; init; }
    public string? Action { get; init; }
    public string? Kapp { get; init; }
    public string? Form { get; init; }
    public string? Source { get; init; }
    public DateTime? OccurredAt { get; init; }
    /// <summary>Kept as posted (an object), read in place by filters and payloads, never copied into a document tree.</summary>
    public JsonElement? Context { get; init; }
}

public sealed record JobRef(Guid Id, string Webhook, string Status);

public sealed record SkippedWebhook(string Webhook, string Reason);

/// <summary>The 202 reply: the jobs created and, for every webhook considered that did not fire, why.</summary>
/// <summary>A synchronous webhook's attempt, made by the request that waits for it.</summary>
public sealed record SyncAttempt(string Webhook, Guid JobId, Task<Data.Entities.JobAttempt?> Attempt);

public sealed record EventReply(Guid EventId, IReadOnlyList<JobRef> Jobs, IReadOnlyList<SkippedWebhook> Skipped, bool Duplicate = false);

public sealed record EventValidationError(string Detail, IDictionary<string, string[]> Errors);

/// <summary>The batch endpoint's answer: how many were accepted and rejected, and each item's result in order.</summary>
public sealed record BatchReply(int Accepted, int Rejected, IReadOnlyList<BatchItem> Items);

/// <summary>One batch item: the event and its jobs when accepted, the errors when rejected.</summary>
public sealed record BatchItem(
    int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? EventId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<JobRef>? Jobs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SkippedWebhook>? Skipped,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Duplicate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BatchItemError? Error)
{
    public static BatchItem Accepted(int index, EventReply r) => new(index, r.EventId, r.Jobs, r.Skipped, r.Duplicate, null);

    public static BatchItem Rejected(int index, EventValidationError e) => new(index, null, null, null, null, new BatchItemError(e.Detail, e.Errors));
}

public sealed record BatchItemError(string Detail, IDictionary<string, string[]> Errors);

public sealed class EventsOptions
{
    /// <summary>Largest body of <c>POST /api/v1/events</c>, in bytes.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;
    /// <summary>Largest body of <c>POST /api/v1/events/batch</c>, in bytes.</summary>
    public long MaxBatchBodyBytes { get; set; } = 16 * 1024 * 1024;
    public int MaxBatchSize { get; set; } = 1000;
    /// <summary><c>Prefer: wait</c> without a usable number waits this long for synchronous webhooks; the most is 10 s.</summary>
    public int SyncTimeoutSeconds { get; set; } = 3;
    /// <summary>How long a client event id is remembered for idempotency.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);
}
