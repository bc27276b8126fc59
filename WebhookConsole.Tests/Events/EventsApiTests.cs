using System.Data.Common;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Events;

/// <summary>The events API on SQLite.</summary>
public sealed class EventsApiOnSqliteTests(EventsApiOnSqliteTests.Factory factory) : EventsApiTests<EventsApiOnSqliteTests.Factory>(factory)
{
    public sealed class Factory : ConsoleFactory;
}

/// <summary>The same tests on PostgreSQL.</summary>
public sealed class EventsApiOnPostgresTests(EventsApiOnPostgresTests.Factory factory) : EventsApiTests<EventsApiOnPostgresTests.Factory>(factory)
{
    public sealed class Factory : ConsoleFactory
    {
        protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
    }
}

public abstract class EventsApiTests<TFactory>(TFactory factory) : IClassFixture<TFactory> where TFactory : ConsoleFactory
{

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
    private static StringContent Json(JsonNode node) => Json(node.ToJsonString());

    private async Task<(HttpClient Events, string Kapp)> SetUpAsync(params (string Name, string Filter, bool Api, bool Enabled)[] hooks)
    {
        // Each test gets its own kapp, so tests sharing the database do not see each other's webhooks.
        var kapp = "k" + Guid.NewGuid().ToString("N")[..10];
        var admin = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        foreach (var (name, filter, api, enabled) in hooks)
        {
            var response = await admin.PostAsync("/api/v1/webhooks", Json(new JsonObject
            {
                ["name"] = name, ["scope"] = "Kapp", ["kapp"] = kapp, ["type"] = "Submission", ["event"] = "Submitted",
                ["filter"] = filter, ["url"] = "https://receiver.example/${kapp('slug')}/${values('Room')}",
                ["signing"] = new JsonObject { ["scheme"] = "none" }, ["includeApiEvents"] = api, ["enabled"] = enabled,
                ["fieldAliases"] = new JsonObject { ["Room"] = "room" },
            }));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        return (await factory.CreateApiClientAsync(ApiScopes.EventsWrite), kapp);
    }

    private static JsonObject SubmissionEvent(string kapp, string room = "B12", string? id = null, string source = "ui") => new()
    {
        ["id"] = id, ["type"] = "Submission", ["action"] = "Submitted", ["kapp"] = kapp, ["form"] = "cleaning-request", ["source"] = source,
        ["context"] = new JsonObject { ["submission"] = new JsonObject { ["id"] = "s-1", ["values"] = new JsonObject { ["Room"] = room } } },
    };

    private async Task<(int Events, int Jobs, int Outcomes)> CountsAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return (await db.Events.CountAsync(), await db.WebhookJobs.CountAsync(), await db.EventOutcomes.CountAsync());
    }

    private static async Task<JsonObject> Body(HttpResponseMessage r) => JsonNode.Parse(await r.Content.ReadAsStringAsync())!.AsObject();

    [Fact]
    public async Task An_event_fires_matching_webhooks_and_says_why_others_did_not()
    {
        var (client, kapp) = await SetUpAsync(("B rooms", "values('Room').indexOf('B') === 0", false, true), ("C rooms", "values('Room') === 'C1'", false, true),
            ("Broken", "null.x", false, true), ("Off", "", false, false));
        var response = await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var reply = await Body(response);

        var job = Assert.Single(reply["jobs"]!.AsArray())!;
        Assert.Equal("B rooms", job["webhook"]!.GetValue<string>());
        Assert.Equal("pending", job["status"]!.GetValue<string>());
        var skipped = reply["skipped"]!.AsArray().ToDictionary(s => s!["webhook"]!.GetValue<string>(), s => s!["reason"]!.GetValue<string>());
        Assert.Equal("filter returned false", skipped["C rooms"]);
        Assert.StartsWith("filter error: Runtime error", skipped["Broken"]);
        Assert.Equal("webhook disabled", skipped["Off"]);

        // The job holds exactly the request to send: rendered URL, payload with aliases, headers.
        await using var db = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var stored = await db.WebhookJobs.SingleAsync(j => j.Id == Guid.Parse(job["id"]!.GetValue<string>()));
        Assert.Equal($"https://receiver.example/{kapp}/B12", stored.Url);
        Assert.Equal("B12", JsonNode.Parse(stored.RequestBody)!["values"]!["room"]!.GetValue<string>());
        Assert.Contains(stored.RequestHeaders, h => h.Name == "Content-Type" && h.Value == "application/json");
        Assert.Equal(WebhookConsole.Data.Entities.JobStatus.Pending, stored.Status);
        // Every considered webhook is recorded with the event: a fired one as its job, filter-false ones on the
        // event itself (ids and names), the others as outcome rows.
        var outcomes = await db.EventOutcomes.Where(o => o.EventId == stored.EventId).ToListAsync();
        var storedEvent = await db.Events.SingleAsync(e => e.Id == stored.EventId);
        var filteredOut = storedEvent.FilteredOut;
        Assert.Equal(1, storedEvent.FiredCount);
        Assert.Equal(2, outcomes.Count);
        Assert.DoesNotContain(outcomes, o => o.Kind is WebhookConsole.Data.Entities.OutcomeKind.FilterFalse or WebhookConsole.Data.Entities.OutcomeKind.Fired);
        Assert.Equal("C rooms", Assert.Single(filteredOut).Name);
        Assert.Equal(reply["skipped"]!.AsArray().Count(s => s!["reason"]!.GetValue<string>() == "filter returned false"), filteredOut.Count);
        // The event page shows all four, whichever way each was stored, the fired one with its job and status.
        var detail = await factory.Service<WebhookConsole.Features.Events.EventsQuery>().GetAsync(stored.EventId!.Value);
        Assert.Equal(4, detail!.Outcomes.Count);
        var fired = Assert.Single(detail.Outcomes, o => o.Kind == WebhookConsole.Data.Entities.OutcomeKind.Fired);
        Assert.Equal(("B rooms", stored.Id), (fired.WebhookName, fired.JobId!.Value));
        Assert.Equal(filteredOut.Count, detail.Outcomes.Count(o => o.Kind == WebhookConsole.Data.Entities.OutcomeKind.FilterFalse && o.Message == "filter returned false"));
    }

    [Fact]
    public async Task A_repeated_client_id_is_not_processed_again_and_the_reply_repeats()
    {
        var (client, kapp) = await SetUpAsync(("Once", "", false, true));
        var id = "evt-" + Guid.NewGuid();
        var first = await Body(await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp, id: id))));
        var before = await CountsAsync();
        var second = await Body(await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp, room: "Z9", id: id))));

        Assert.Equal(first["eventId"]!.GetValue<string>(), second["eventId"]!.GetValue<string>());
        Assert.Equal(first["jobs"]![0]!["id"]!.GetValue<string>(), second["jobs"]![0]!["id"]!.GetValue<string>());
        Assert.True(second["duplicate"]!.GetValue<bool>());
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task Concurrent_repeats_of_one_client_id_store_one_event()
    {
        var (client, kapp) = await SetUpAsync(("Race", "", false, true));
        var id = "race-" + Guid.NewGuid();
        var before = await CountsAsync();
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp, id: id)))));
        Assert.All(replies, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var bodies = await Task.WhenAll(replies.Select(r => r.Content.ReadAsStringAsync()));
        var after = await CountsAsync();
        Assert.True(before.Events + 1 == after.Events, $"events {before} -> {after}: {string.Join(" | ", bodies)}");
        Assert.True(before.Jobs + 1 == after.Jobs, $"jobs {before} -> {after}: {string.Join(" | ", bodies)}");
    }

    [Fact]
    public async Task Api_and_batch_events_fire_only_webhooks_that_opt_in()
    {
        var (client, kapp) = await SetUpAsync(("Opted in", "", true, true), ("UI only", "", false, true));
        foreach (var source in new[] { "api", "batch" })
        {
            var reply = await Body(await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp, source: source))));
            Assert.Equal("Opted in", Assert.Single(reply["jobs"]!.AsArray())!["webhook"]!.GetValue<string>());
            Assert.Contains("not included", Assert.Single(reply["skipped"]!.AsArray())!["reason"]!.GetValue<string>());
        }
        var ui = await Body(await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp))));
        Assert.Equal(2, ui["jobs"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_webhook_change_is_seen_by_the_next_event()
    {
        var (client, kapp) = await SetUpAsync(("Changing", "values('Room') === 'nope'", false, true));
        Assert.Empty((await Body(await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp)))))["jobs"]!.AsArray());

        var admin = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var list = await Body(await admin.GetAsync($"/api/v1/webhooks?search=Changing"));
        var id = list["items"]!.AsArray().Single(w => w!["kapp"]!.GetValue<string>() == kapp)!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync($"/api/v1/webhooks/{id}", Json(new JsonObject { ["filter"] = "" }))).StatusCode);

        Assert.Single((await Body(await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp)))))["jobs"]!.AsArray());
    }

    [Fact]
    public async Task A_failure_after_the_event_is_written_leaves_nothing_behind()
    {
        var (client, kapp) = await SetUpAsync(("Tx", "", false, true));
        var before = await CountsAsync();
        // The database refuses this kapp's job rows, after the Event row of the same transaction was written.
        await using (await InjectedFailure.RefuseJobsAsync(factory.Service<IDbContextFactory<AppDbContext>>(), "fail_jobs_" + kapp, $"/{kapp}/"))
        {
            var response = await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp, id: "tx-" + Guid.NewGuid())));
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.DoesNotContain("   at ", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(before, await CountsAsync());
        // And the console keeps serving.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/events", Json(SubmissionEvent(kapp)))).StatusCode);
    }

    [Fact]
    public async Task A_batch_processes_valid_items_and_names_the_invalid_ones()
    {
        var (client, kapp) = await SetUpAsync(("Batch", "", true, true));
        var batch = new JsonArray(SubmissionEvent(kapp, source: "batch"), new JsonObject { ["type"] = "Submission", ["action"] = "Exploded", ["kapp"] = kapp },
            SubmissionEvent(kapp, source: "batch"), JsonValue.Create(42));
        var response = await client.PostAsync("/api/v1/events/batch", Json(batch));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var reply = await Body(response);
        Assert.Equal(2, reply["accepted"]!.GetValue<int>());
        Assert.Equal(2, reply["rejected"]!.GetValue<int>());
        var items = reply["items"]!.AsArray();
        Assert.Single(items[0]!["jobs"]!.AsArray());
        Assert.Contains("not an action of Submission", items[1]!["error"]!["errors"]!["action"]![0]!.GetValue<string>());
        Assert.Single(items[2]!["jobs"]!.AsArray());
        Assert.Contains("event object", items[3]!["error"]!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Catalog_and_events_need_the_events_write_scope()
    {
        var wrong = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        Assert.Equal(HttpStatusCode.Forbidden, (await wrong.PostAsync("/api/v1/events", Json(SubmissionEvent("x")))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().PostAsync("/api/v1/events", Json(SubmissionEvent("x")))).StatusCode);
    }

    public static TheoryData<string, string, string, int, string> BadInputs()
    {
        var big = "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"s\",\"context\":{\"pad\":\"" + new string('x', 1_100_000) + "\"}}";
        var deep = new string('[', 200) + new string(']', 200);
        var tooMany = "[" + string.Join(",", Enumerable.Repeat("{\"type\":\"User\",\"action\":\"Created\"}", 1001)) + "]";
        return new()
        {
            { "truncated JSON", "/api/v1/events", "{\"type\": \"Submission\",", 400, "not valid JSON" },
            { "not JSON at all", "/api/v1/events", "type=Submission&action=Submitted", 400, "not valid JSON" },
            { "empty body", "/api/v1/events", "", 400, "empty" },
            { "JSON null", "/api/v1/events", "null", 400, "null" },
            { "a string", "/api/v1/events", "\"Submission\"", 400, "JSON object" },
            { "an array to the single endpoint", "/api/v1/events", "[]", 400, "batch" },
            { "missing type", "/api/v1/events", "{\"action\":\"Submitted\"}", 400, "type" },
            { "unknown type", "/api/v1/events", "{\"type\":\"Spaceship\",\"action\":\"Launched\"}", 400, "Unknown type" },
            { "unknown action", "/api/v1/events", "{\"type\":\"User\",\"action\":\"Exploded\"}", 400, "not an action of User" },
            { "Kapp type without kapp", "/api/v1/events", "{\"type\":\"Submission\",\"action\":\"Submitted\"}", 400, "happen in a kapp" },
            { "type as a number", "/api/v1/events", "{\"type\":5,\"action\":\"Created\"}", 400, "wrong type" },
            { "context as a string", "/api/v1/events", "{\"type\":\"User\",\"action\":\"Created\",\"context\":\"x\"}", 400, "wrong type" },
            { "context section not an object", "/api/v1/events", "{\"type\":\"User\",\"action\":\"Created\",\"context\":{\"user\":[1,2]}}", 400, "context.user must be an object" },
            { "values not an object", "/api/v1/events", "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"s\",\"context\":{\"submission\":{\"values\":7}}}", 400, "values must be an object" },
            { "unknown source", "/api/v1/events", "{\"type\":\"User\",\"action\":\"Created\",\"source\":\"satellite\"}", 400, "source is ui, api, batch or system" },
            { "bad date", "/api/v1/events", "{\"type\":\"User\",\"action\":\"Created\",\"occurredAt\":\"yesterday\"}", 400, "wrong type" },
            { "date far in the future", "/api/v1/events", "{\"type\":\"User\",\"action\":\"Created\",\"occurredAt\":\"2099-01-01T00:00:00Z\"}", 400, "future" },
            { "hostile kapp slug", "/api/v1/events", "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"../../etc\"}", 400, "kapp slug" },
            { "form on a type without forms", "/api/v1/events", "{\"type\":\"User\",\"action\":\"Created\",\"form\":\"x\"}", 400, "have no form" },
            { "id too long", "/api/v1/events", "{\"id\":\"" + new string('i', 300) + "\",\"type\":\"User\",\"action\":\"Created\"}", 400, "200 characters" },
            { "body over 1 MB", "/api/v1/events", big, 413, "larger than" },
            { "nesting bomb", "/api/v1/events", deep, 400, "not valid JSON" },
            { "batch not an array", "/api/v1/events/batch", "{\"type\":\"User\",\"action\":\"Created\"}", 400, "JSON array" },
            { "empty batch", "/api/v1/events/batch", "[]", 400, "empty" },
            { "batch over 1,000", "/api/v1/events/batch", tooMany, 400, "at most 1,000" },
            { "batch with only invalid items", "/api/v1/events/batch", "[{\"type\":\"Nope\"},{}]", 400, "None of the 2 events is valid" },
        };
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_gets_a_problem_that_says_what_to_fix_and_stores_nothing(string because, string path, string body, int status, string expected)
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        var before = await CountsAsync();
        var response = await client.PostAsync(path, Json(body));

        Assert.True((int)response.StatusCode == status, $"{because}: got {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains(expected, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", text);
        Assert.Equal(before, await CountsAsync());
        // The process keeps serving.
        Assert.Equal(HttpStatusCode.OK, (await (await factory.CreateApiClientAsync(ApiScopes.EventsWrite)).GetAsync("/api/v1/catalog")).StatusCode);
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        var response = await client.PostAsync("/api/v1/events", new StringContent("{}", Encoding.UTF8, "text/xml"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }
}
