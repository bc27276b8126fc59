using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using WebhookConsole.Api;
using WebhookConsole.Security;

namespace WebhookConsole.Events;

/// <summary><c>POST /api/v1/events</c> and <c>/api/v1/events/batch</c> (API.md, "Events in").</summary>
public static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/events").RequireAuthorization(Policies.ApiEvents);

        group.MapPost("/", async (HttpRequest request, EventProcessor processor, IOptions<EventsOptions> options, TimeProvider time, CancellationToken ct) =>
        {
            var (node, error) = await RequestBody.ReadJsonAsync(request, options.Value.MaxBodyBytes, ct);
            if (error is not null) return error;
            if (node is not JsonObject)
            {
                return Problems.BadRequest(node is JsonArray ? "The body is an array: post it to /api/v1/events/batch, or send one event object." : "Send one event as a JSON object.");
            }
            var (input, bindError) = RequestBody.Bind<EventInput>(node);
            if (bindError is not null) return Problems.BadRequest(bindError);
            var (valid, invalid) = EventValidator.Validate(input!, time.GetUtcNow().UtcDateTime);
            if (invalid is not null) return Results.ValidationProblem(invalid.Errors, detail: invalid.Detail, title: "Invalid event");
            var reply = await processor.ProcessAsync(valid!, ct);
            return Results.Json(reply, ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
        });

        group.MapPost("/batch", async (HttpRequest request, EventProcessor processor, IOptions<EventsOptions> options, TimeProvider time, CancellationToken ct) =>
        {
            var (node, error) = await RequestBody.ReadJsonAsync(request, options.Value.MaxBatchBodyBytes, ct);
            if (error is not null) return error;
            if (node is not JsonArray array) return Problems.BadRequest("Send a JSON array of events, e.g. [ { \"type\": \"Submission\", … } ].");
            if (array.Count == 0) return Problems.BadRequest("The batch is empty; send at least one event.");
            if (array.Count > options.Value.MaxBatchSize) return Problems.BadRequest($"A batch holds at most {options.Value.MaxBatchSize:N0} events; this one has {array.Count:N0}. Split it.");

            var now = time.GetUtcNow().UtcDateTime;
            var results = new BatchItemResult?[array.Count];
            var valid = new List<(int Index, ValidEvent Event)>();
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is not JsonObject item)
                {
                    results[i] = new BatchItemResult(i, null, new EventValidationError("Each item must be an event object.", new Dictionary<string, string[]> { ["$"] = ["Each item must be an event object."] }));
                    continue;
                }
                var (input, bindError) = RequestBody.Bind<EventInput>(item);
                if (bindError is not null)
                {
                    results[i] = new BatchItemResult(i, null, new EventValidationError(bindError, new Dictionary<string, string[]> { ["$"] = [bindError] }));
                    continue;
                }
                var (ok, invalid) = EventValidator.Validate(input!, now);
                if (invalid is not null) results[i] = new BatchItemResult(i, null, invalid);
                else valid.Add((i, ok!));
            }

            var rejected = results.Count(r => r is not null);
            var items = results.Select(r => r is null ? null : (object)new { index = r.Index, error = new { detail = r.Error!.Detail, errors = r.Error.Errors } }).ToArray();
            if (valid.Count == 0)
            {
                return Results.Problem(statusCode: 400, title: "Invalid batch", detail: $"None of the {array.Count} events is valid; see items for each one's errors.",
                    extensions: new Dictionary<string, object?> { ["items"] = items });
            }
            var replies = await processor.ProcessManyAsync(valid.Select(v => v.Event).ToList(), ct);
            for (var k = 0; k < valid.Count; k++)
            {
                var r = replies[k];
                items[valid[k].Index] = new { index = valid[k].Index, eventId = r.EventId, jobs = r.Jobs, skipped = r.Skipped, duplicate = r.Duplicate };
            }
            return Results.Json(new { accepted = valid.Count, rejected, items }, ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
        });
        return app;
    }

    public static IHostApplicationBuilder AddEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<EventsOptions>(builder.Configuration.GetSection("Events"));
        builder.Services.AddSingleton<WebhookIndex>();
        builder.Services.AddSingleton<EventMatcher>();
        builder.Services.AddSingleton<EventProcessor>();
        return builder;
    }
}
