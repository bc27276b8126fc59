using System.Text.Json;
using Microsoft.Extensions.Options;
using WebhookConsole.Http;
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
            var (body, error) = await RequestBody.ReadDocumentAsync(request, options.Value.MaxBodyBytes, ct);
            if (error is not null) return error;
            using (body)
            {
                var root = body!.Root;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return Problems.BadRequest(root.ValueKind == JsonValueKind.Array ? "The body is an array: post it to /api/v1/events/batch, or send one event object." : "Send one event as a JSON object.");
                }
                var (input, bindError) = RequestBody.Bind<EventInput>(root);
                if (bindError is not null) return Problems.BadRequest(bindError);
                var (valid, invalid) = EventValidator.Validate(input!, time.GetUtcNow().UtcDateTime);
                if (invalid is not null) return Results.ValidationProblem(invalid.Errors, detail: invalid.Detail, title: "Invalid event");
                var reply = await processor.ProcessAsync(valid!, ct);
                return Results.Json(reply, ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
            }
        });

        group.MapPost("/batch", async (HttpRequest request, EventProcessor processor, IOptions<EventsOptions> options, TimeProvider time, CancellationToken ct) =>
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
            var results = new BatchItemResult?[count];
            var valid = new List<(int Index, ValidEvent Event)>();
            var i = -1;
            foreach (var item in array.EnumerateArray())
            {
                i++;
                if (item.ValueKind != JsonValueKind.Object)
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
                return Results.Problem(statusCode: 400, title: "Invalid batch", detail: $"None of the {count} events is valid; see items for each one's errors.",
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
