using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using WebhookConsole.Http;
using WebhookConsole.Security;
using WebhookConsole.Telemetry;

namespace WebhookConsole.Events;

/// <summary><c>POST /api/v1/events</c> and <c>/api/v1/events/batch</c> (API.md, "Events in"), scope <c>events:write</c>.</summary>
public static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/events").RequireAuthorization(Policies.ApiEvents)
            .WithTags("Events").WithProblems(400, 401, 403, 413, 415, 429);
        group.MapPost("/", PostAsync).WithJsonBody<EventInput>()
            .WithSummary("Post one platform event")
            .WithDescription("Validates the event, decides which webhooks fire and queues their deliveries (API.md, \"Events in\"). With 'Prefer: wait=N' " +
                "(N ≤ 10 s) the synchronous webhooks are delivered at once and the 200 carries their replies and the combined verdict.");
        group.MapPost("/batch", PostBatchAsync).WithJsonBody<EventInput[]>()
            .WithSummary("Post a batch of events").WithDescription("Each valid event is accepted and each invalid one reported at its index; 400 only when none is valid.");
        return app;
    }

    public static async Task<Results<Accepted<EventReply>, Ok<SyncEventReply>, ValidationProblem, ProblemHttpResult>> PostAsync(HttpRequest request, EventProcessor processor,
        IOptions<EventsOptions> options, TimeProvider time, CancellationToken ct)
    {
        var (body, error) = await RequestBody.ReadDocumentAsync(request, options.Value.MaxBodyBytes, ct);
        if (error is not null) return error;
        using (body)
        {
            var root = body!.Root;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Problems.BadRequest(root.ValueKind == JsonValueKind.Array ? "The body is an array: post it to /api/v1/events/batch, or send one event object." : "Send one event as a JSON object.");
            }
            var (valid, invalid) = EventValidator.Read(root, time.GetUtcNow().UtcDateTime);
            if (invalid is not null)
            {
                Rejected(1);
                return Problems.Validation(invalid.Errors, invalid.Detail, "Invalid event");
            }
            if (PreferredWait(request, options.Value) is { } wait)
            {
                request.HttpContext.Response.Headers["Preference-Applied"] = $"wait={wait.TotalSeconds:0}";
                return TypedResults.Ok(await WaitForRepliesAsync(processor, valid!, wait, ct));
            }
            return TypedResults.Accepted((string?)null, await processor.ProcessAsync(valid!, ct));
        }
    }

    /// <summary>The most a caller may wait for synchronous replies.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>Prefer: wait=N</c> (RFC 7240; among other preferences, in any header line): N seconds, at most 10; a wait
    /// without a usable number means <c>Events:SyncTimeoutSeconds</c>. Null without it.
    /// </summary>
    internal static TimeSpan? PreferredWait(HttpRequest request, EventsOptions options)
    {
        foreach (var line in request.Headers["Prefer"])
        {
            foreach (var preference in (line ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var token = preference.Split(';', 2)[0].Split('=', 2);
                if (!token[0].Trim().Equals("wait", StringComparison.OrdinalIgnoreCase)) continue;
                var seconds = token.Length == 2 && double.TryParse(token[1].Trim().Trim('"'), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n : Math.Max(1, options.SyncTimeoutSeconds);
                return TimeSpan.FromSeconds(Math.Min(seconds, MaxWait.TotalSeconds));
            }
        }
        return null;
    }

    /// <summary>The event accepted, its synchronous webhooks attempted within <paramref name="wait"/>, their replies read and combined.</summary>
    private static async Task<SyncEventReply> WaitForRepliesAsync(EventProcessor processor, ValidEvent e, TimeSpan wait, CancellationToken ct)
    {
        var (reply, attempts) = await processor.ProcessWaitingAsync(e, wait, ct);
        // Each attempt's timeout is the deadline; recording it takes a moment more. Past that, the answer goes without it.
        var all = Task.WhenAll(attempts.Select(a => a.Attempt));
        await Task.WhenAny(all, Task.Delay(wait + TimeSpan.FromSeconds(2), CancellationToken.None));
        var responses = attempts.Select(a => a.Attempt.IsCompletedSuccessfully
                ? SyncReplies.Read(a.Webhook, a.JobId, a.Attempt.Result, waitedOut: false)
                : SyncReplies.Read(a.Webhook, a.JobId, null, waitedOut: !a.Attempt.IsCompleted || a.Attempt.IsFaulted))
            .OrderBy(r => r.Webhook, StringComparer.OrdinalIgnoreCase).ToList();
        _ = all.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted); // a failed write was already reported
        return new SyncEventReply(reply.EventId, reply.Jobs, reply.Skipped, reply.Duplicate, responses, SyncReplies.Combine(responses));
    }

    /// <summary>A rejected event's type and action are whatever was posted; they are not labels (they could be anything).</summary>
    private static void Rejected(int count) => ConsoleTelemetry.EventsReceived.Add(count,
        new KeyValuePair<string, object?>("type", "unknown"), new KeyValuePair<string, object?>("action", "unknown"), new KeyValuePair<string, object?>("outcome", "rejected"));

    /// <summary>Each valid event is accepted, each invalid one reported at its index; 400 only when none is valid.</summary>
    public static async Task<Results<Accepted<BatchReply>, ProblemHttpResult>> PostBatchAsync(HttpRequest request, EventProcessor processor,
        IOptions<EventsOptions> options, TimeProvider time, CancellationToken ct)
    {
        var (body, error) = await RequestBody.ReadDocumentAsync(request, options.Value.MaxBatchBodyBytes, ct);
        if (error is not null) return error;
        using var _ = body;
        var array = body!.Root;
        if (array.ValueKind != JsonValueKind.Array) return Problems.BadRequest("Send a JSON array of events, e.g. [ { \"type\": \"Submission\", … } ].");
        var count = array.GetArrayLength();
        if (count == 0) return Problems.BadRequest("The batch is empty; send at least one event.");
        if (count > options.Value.MaxBatchSize) return Problems.BadRequest($"A batch holds at most {options.Value.MaxBatchSize:N0} events; this one has {count:N0}. Split it.");

        var now = time.GetUtcNow().UtcDateTime;
        var items = new BatchItem[count];
        var valid = new List<(int Index, ValidEvent Event)>();
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var (ok, invalid) = EventValidator.Read(item, now);
            if (invalid is not null)
            {
                items[i] = BatchItem.Rejected(i, invalid);
                Rejected(1);
            }
            else valid.Add((i, ok!));
            i++;
        }
        if (valid.Count == 0)
        {
            return TypedResults.Problem(statusCode: 400, title: "Invalid batch", detail: $"None of the {count} events is valid; see items for each one's errors.",
                extensions: new Dictionary<string, object?> { ["items"] = items });
        }
        var replies = await processor.ProcessManyAsync(valid.Select(v => v.Event).ToList(), ct);
        for (var k = 0; k < valid.Count; k++) items[valid[k].Index] = BatchItem.Accepted(valid[k].Index, replies[k]);
        return TypedResults.Accepted((string?)null, new BatchReply(valid.Count, count - valid.Count, items));
    }
}
