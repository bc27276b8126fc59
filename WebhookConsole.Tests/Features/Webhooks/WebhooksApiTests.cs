using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Webhooks;

public abstract class WebhooksApiTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : ConsoleFactory
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private static JsonObject ValidWebhook(string? name = null) => new()
    {
        ["name"] = name ?? "Cleaning submitted " + Guid.NewGuid().ToString("N")[..6],
        ["scope"] = "Kapp",
        ["kapp"] = "services",
        ["type"] = "Submission",
        ["event"] = "Submitted",
        ["form"] = "cleaning-request",
        ["filter"] = "form('attribute:Custom Submission Workflow').indexOf('Submitted') > -1",
        ["url"] = "https://task.acme.example/run/${form('slug')}",
        ["headers"] = new JsonArray(new JsonObject { ["name"] = "X-Tenant", ["value"] = "acme" }),
        ["payloadFormat"] = "kinetic",
        ["fieldAliases"] = new JsonObject { ["Requested For"] = "requested_for" },
        ["signing"] = new JsonObject { ["scheme"] = "standard", ["secret"] = Secret },
        ["includeApiEvents"] = false,
        ["asyncAck"] = false,
        ["enabled"] = true,
        ["timeoutSeconds"] = 10,
    };

    private static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    private static async Task<JsonObject> ReadObject(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    [Fact]
    public async Task No_key_is_401_with_a_problem_detail()
    {
        var client = factory.CreateClient();
        var response = await client.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bearer", (await ReadObject(response))["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_key_is_401()
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "wck_not_a_real_key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/webhooks")).StatusCode);
    }

    [Fact]
    public async Task Key_without_the_scope_is_403_naming_the_scope()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        var response = await client.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("webhooks:manage", (await ReadObject(response))["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Revoked_key_is_refused()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<WebhookConsole.Features.ApiKeys.ApiKeyService>();
        var created = await service.CreateAsync(Actor.System, "to revoke", [ApiScopes.WebhooksManage]);
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", created.Secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/webhooks")).StatusCode);

        await service.RevokeAsync(Actor.System, created.Key.Id);
        // The key cache holds a key for a few seconds; revocation must win within that.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpStatusCode status;
        do
        {
            await Task.Delay(250);
            status = (await client.GetAsync("/api/v1/webhooks")).StatusCode;
        } while (status != HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Create_read_update_delete_round_trip()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var create = await client.PostAsync("/api/v1/webhooks", Json(ValidWebhook("Round trip")));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = await ReadObject(create);
        var id = created["id"]!.GetValue<string>();
        Assert.Equal($"/api/v1/webhooks/{id}", create.Headers.Location?.OriginalString);
        Assert.Equal("Round trip", created["name"]!.GetValue<string>());
        Assert.Equal("services", created["kapp"]!.GetValue<string>());
        Assert.Equal("standard", created["signing"]!["scheme"]!.GetValue<string>());
        Assert.True(created["hasSecret"]!.GetValue<bool>());
        Assert.Equal("requested_for", created["fieldAliases"]!["Requested For"]!.GetValue<string>());
        Assert.Equal(0, created["consecutiveFailures"]!.GetValue<int>());
        Assert.Null(created["disabledReason"]);

        var get = await client.GetAsync($"/api/v1/webhooks/{id}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("https://task.acme.example/run/${form('slug')}", (await ReadObject(get))["url"]!.GetValue<string>());

        var update = await client.PutAsync($"/api/v1/webhooks/{id}", Json(new JsonObject { ["enabled"] = false, ["timeoutSeconds"] = 30 }));
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var updated = await ReadObject(update);
        Assert.False(updated["enabled"]!.GetValue<bool>());
        Assert.Equal(30, updated["timeoutSeconds"]!.GetValue<int>());
        Assert.Equal("Round trip", updated["name"]!.GetValue<string>());
        Assert.True(updated["hasSecret"]!.GetValue<bool>());

        var list = await ReadObject(await client.GetAsync("/api/v1/webhooks?search=round&enabled=false"));
        Assert.Contains(list["items"]!.AsArray(), w => w!["id"]!.GetValue<string>() == id);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);
    }

    [Fact]
    public async Task The_secret_is_never_returned()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var create = await client.PostAsync("/api/v1/webhooks", Json(ValidWebhook()));
        var body = await create.Content.ReadAsStringAsync();
        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        var get = await client.GetStringAsync($"/api/v1/webhooks/{id}");
        var list = await client.GetStringAsync("/api/v1/webhooks");
        var secretPart = Secret["whsec_".Length..];
        foreach (var text in new[] { body, get, list })
        {
            Assert.DoesNotContain(secretPart, text);
            Assert.DoesNotContain("whsec_", text);
        }
    }

    public static TheoryData<string, JsonNode?, string> InvalidFields => new()
    {
        { "name", "", "name" },
        { "scope", "Galaxy", "scope" },
        { "type", "Spaceship", "type" },
        { "event", "Exploded", "event" },
        { "kapp", "", "kapp" },
        { "form", "bad slug!", "form" },
        { "filter", "form('slug' ===", "filter" },
        { "url", "ftp://example.com/x", "url" },
        { "url", "https://example.com/${kapp('slug')", "url" },
        { "headers", new JsonArray(new JsonObject { ["name"] = "Host", ["value"] = "evil" }), "headers[0].name" },
        { "headers", new JsonArray(new JsonObject { ["name"] = "Bad Name", ["value"] = "x" }), "headers[0].name" },
        { "headers", new JsonArray(new JsonObject { ["name"] = "X-Ok", ["value"] = "a\r\nInjected: 1" }), "headers[0].value" },
        { "fieldAliases", new JsonObject { ["Room"] = "Room Number" }, "fieldAliases[Room]" },
        { "fieldAliases", new JsonObject { ["Room"] = "room", ["Other"] = "room" }, "fieldAliases[Other]" },
        { "payloadFormat", "xml", "payloadFormat" },
        { "signing", new JsonObject { ["scheme"] = "standard", ["secret"] = "not-a-whsec" }, "signing.secret" },
        { "signing", new JsonObject { ["scheme"] = "github" }, "signing.secret" },
        { "signing", new JsonObject { ["scheme"] = "rot13", ["secret"] = "x" }, "signing.scheme" },
        { "timeoutSeconds", 0, "timeoutSeconds" },
        { "timeoutSeconds", 61, "timeoutSeconds" },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public async Task Validation_errors_name_the_field(string field, JsonNode? value, string errorKey)
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var body = ValidWebhook();
        body[field] = value?.DeepClone();
        var response = await client.PostAsync("/api/v1/webhooks", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadObject(response);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(errorKey), $"expected an error for {errorKey}, got {problem}");
        Assert.False(string.IsNullOrWhiteSpace(errors[errorKey]![0]!.GetValue<string>()));
        Assert.Contains(errorKey, problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Filter_that_does_not_compile_is_400_naming_the_position()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var body = ValidWebhook();
        body["filter"] = "values('Room') === 'B12' &&\n form('slug' === 'x'";
        var problem = await ReadObject(await client.PostAsync("/api/v1/webhooks", Json(body)));
        Assert.Contains("line 2, column", problem["errors"]!["filter"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Duplicate_name_in_the_same_scope_is_409_but_another_kapp_may_reuse_it()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var name = "Dup " + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/v1/webhooks", Json(ValidWebhook(name)))).StatusCode);

        var again = ValidWebhook(name.ToUpperInvariant());
        var conflict = await client.PostAsync("/api/v1/webhooks", Json(again));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("already has a webhook named", (await ReadObject(conflict))["detail"]!.GetValue<string>());

        var otherKapp = ValidWebhook(name);
        otherKapp["kapp"] = "hr";
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/v1/webhooks", Json(otherKapp))).StatusCode);
    }

    [Fact]
    public async Task Concurrent_edit_with_a_stale_version_is_refused_and_changes_nothing()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var created = await ReadObject(await client.PostAsync("/api/v1/webhooks", Json(ValidWebhook())));
        var id = created["id"]!.GetValue<string>();
        var version = created["version"]!.GetValue<long>();

        // First admin saves with the version both read.
        var first = await client.PutAsync($"/api/v1/webhooks/{id}", Json(new JsonObject { ["url"] = "https://first.example/hook", ["version"] = version }));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // Second admin still holds the old version.
        var second = await client.PutAsync($"/api/v1/webhooks/{id}", Json(new JsonObject { ["url"] = "https://second.example/hook", ["version"] = version }));
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("Reload", (await ReadObject(second))["detail"]!.GetValue<string>());

        // Same through If-Match.
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/webhooks/{id}") { Content = Json(new JsonObject { ["url"] = "https://third.example/hook" }) };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await client.SendAsync(request)).StatusCode);

        var current = await ReadObject(await client.GetAsync($"/api/v1/webhooks/{id}"));
        Assert.Equal("https://first.example/hook", current["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Parallel_saves_with_the_same_version_let_exactly_one_win()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var created = await ReadObject(await client.PostAsync("/api/v1/webhooks", Json(ValidWebhook())));
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        var version = created["version"]!.GetValue<long>();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            await using var scope = factory.Services.CreateAsyncScope();
            var webhooks = scope.ServiceProvider.GetRequiredService<WebhookService>();
            return await webhooks.UpdateAsync(Actor.System, id, new WebhookInput { Url = $"https://writer{i}.example/", Version = version });
        }));
        Assert.Equal(1, results.Count(r => r.Status == SaveStatus.Ok));
        Assert.All(results.Where(r => r.Status != SaveStatus.Ok), r => Assert.Equal(SaveStatus.Conflict, r.Status));
    }

    [Theory]
    [InlineData("{ \"name\": ", "not valid JSON")]
    [InlineData("{ \"name\": \"x\", \"timeoutSeconds\": \"ten\" }", "wrong type")]
    [InlineData("[1, 2]", "wrong type")]
    [InlineData("", "empty")]
    public async Task Malformed_bodies_are_400_problems_that_say_what_to_fix(string body, string expected)
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var response = await client.PostAsync("/api/v1/webhooks", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (await ReadObject(response))["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Unknown_routes_are_404_and_wrong_methods_405_without_stack_traces()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var notFound = await client.GetAsync("/api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        var wrongMethod = await client.PatchAsync("/api/v1/webhooks", Json(new JsonObject()));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.DoesNotContain("   at ", await wrongMethod.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Catalog_lists_types_and_actions_for_any_valid_key()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        var catalog = await client.GetFromJsonAsync<JsonObject>("/api/v1/catalog");
        var submission = catalog!["types"]!.AsArray().Single(t => t!["type"]!.GetValue<string>() == "Submission")!;
        Assert.Equal("Kapp", submission["scope"]!.GetValue<string>());
        Assert.Contains(submission["actions"]!.AsArray(), a => a!.GetValue<string>() == "Submitted");
    }

    [Fact]
    public async Task Changes_are_audited_field_by_field_with_the_secret_masked()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var created = await ReadObject(await client.PostAsync("/api/v1/webhooks", Json(ValidWebhook())));
        var id = created["id"]!.GetValue<string>();
        var newSecret = "whsec_" + Convert.ToBase64String(new byte[32]);
        await client.PutAsync($"/api/v1/webhooks/{id}", Json(new JsonObject { ["url"] = "https://changed.example/", ["signing"] = new JsonObject { ["secret"] = newSecret } }));

        await using var db = await factory.Service<Microsoft.EntityFrameworkCore.IDbContextFactory<WebhookConsole.Data.AppDbContext>>().CreateDbContextAsync();
        var entries = db.AuditEntries.Where(a => a.EntityId == id).OrderBy(a => a.Id).ToList();
        Assert.Equal(["created", "updated"], entries.Select(e => e.Action));
        var update = entries[1];
        Assert.StartsWith("api-key:", update.Actor);
        Assert.Equal(2, update.Changes.Count);
        var url = update.Changes.Single(c => c.Field == "url");
        Assert.Equal("https://task.acme.example/run/${form('slug')}", url.Old);
        Assert.Equal("https://changed.example/", url.New);
        var secret = update.Changes.Single(c => c.Field == "signing.secret");
        Assert.DoesNotContain(newSecret[6..], secret.New);
        Assert.NotEqual(secret.Old, secret.New);
        Assert.DoesNotContain(Secret[6..], JsonSerializer.Serialize(entries));
    }
}

/// <summary>WebhooksApiTests on SQLite.</summary>
public sealed class WebhooksApiTestsOnSqlite(ConsoleFactory factory) : WebhooksApiTests<ConsoleFactory>(factory);

/// <summary>WebhooksApiTests on PostgreSQL.</summary>
public sealed class WebhooksApiTestsOnPostgres(PostgresConsoleFactory factory) : WebhooksApiTests<PostgresConsoleFactory>(factory);
