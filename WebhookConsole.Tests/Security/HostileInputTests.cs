using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Security;

/// <summary>
/// A hostile corpus against the API and the sign-in form: every answer is a deliberate 2xx or a 4xx problem that
/// says what to fix, never a 5xx; nothing a refused request carried is stored; the console keeps serving.
/// </summary>
public partial class HostileInputTests(ConsoleFactory factory) : IClassFixture<ConsoleFactory>
{
    private const string Ok = """{"type":"Submission","action":"Submitted","kapp":"services","form":"f","context":{"submission":{"values":{"Room":"B12"}}}}""";
    private static readonly string Deep = new string('[', 5000) + new string(']', 5000);

    private static string Hook(string name = "h", string url = "https://example.com/hook", string extra = "") =>
        $$"""{"name":{{name}},"scope":"Space","type":"User","event":"Created","url":{{url}}{{extra}}}""";

    private static string Q(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>(method, path, JSON-ish body sent as raw bytes, content type)</summary>
    public static IEnumerable<object?[]> Corpus()
    {
        var events = "/api/v1/events";
        string[] badEventBodies =
        [
            "", "{", "[", "nul", "{\"type\":", "{\"type\":\"Submission\",}", "\"just a string\"", "42", "null", "true", Deep,
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"context\":{\"x\":1e400}}",
            "{\"type\":\"\\ud800\",\"action\":\"Submitted\"}", "{\"type\":\"Submission\",\"action\":\"\\udc00x\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"\\ud800\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"form\":\"\\udbff\"}",
            "{\"id\":\"\\ud800\",\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"context\":{\"submission\":{\"values\":{\"Room\":\"\\ud800\"}}}}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"context\":{\"\\ud800\":1}}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"source\":\"\\ud800\"}",
            "{\"type\":\"Nope\",\"action\":\"Submitted\"}", "{\"type\":\"Submission\",\"action\":\"Exploded\"}",
            "{\"type\":1,\"action\":\"Submitted\"}", "{\"type\":[\"Submission\"],\"action\":\"Submitted\"}", "{\"type\":{},\"action\":{}}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"context\":\"x\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"context\":[1,2]}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"occurredAt\":\"yesterday\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"occurredAt\":12}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"source\":\"hacker\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"source\":\"simulator\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"source\":\"4\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"id\":\"" + new string('i', 10_000) + "\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"" + new string('k', 10_000) + "\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"form\":\"a\\r\\nb\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\"}",
            "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"context\":{\"submission\":{\"values\":" + new string('[', 200) + new string(']', 200) + "}}}",
        ];
        foreach (var body in badEventBodies) yield return ["POST", events, body, "application/json"];
        yield return ["POST", events, Ok, "text/plain"];
        yield return ["POST", events, Ok, "application/xml"];
        yield return ["POST", events, "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"context\":{\"big\":\"" + new string('x', 3 * 1024 * 1024) + "\"}}", "application/json"];
        yield return ["POST", events, "\uFEFF" + Ok.Replace("B12", "\u00e9"), "application/json; charset=utf-16"];
        yield return ["POST", events + "/batch", Ok, "application/json"];
        yield return ["POST", events + "/batch", "[" + string.Join(",", Enumerable.Repeat("{\"type\":\"Nope\",\"action\":\"x\"}", 3)) + "]", "application/json"];
        yield return ["POST", events + "/batch", "[" + string.Join(",", Enumerable.Repeat(Ok, 1001)) + "]", "application/json"];
        yield return ["POST", events + "/batch", "[" + Ok + ",{\"type\":\"\\ud800\",\"action\":\"x\"}]", "application/json"];
        yield return ["POST", events + "/batch", "[]", "application/json"];
        yield return ["POST", events + "/batch", "[1,2,3]", "application/json"];
        yield return ["GET", events + "/../../etc/passwd", null, null];
        yield return ["PUT", events, Ok, "application/json"];

        var hooks = "/api/v1/webhooks";
        string[] badHooks =
        [
            Hook(Q("")), Hook(Q(new string('n', 10_000))), Hook("\"\\ud800\""), Hook("\"a\\udc00\""), Hook("null"), Hook("42"),
            Hook(url: Q("https://example.com/a\r\nX-Injected: 1")), Hook(url: Q("https://example.com/a\nb")), Hook(url: Q("javascript:alert(1)")),
            Hook(url: Q("file:///etc/passwd")), Hook(url: Q("http://")), Hook(url: Q("ftp://example.com/x")), Hook(url: Q("/relative")), Hook(url: "\"\\ud800\""),
            Hook(url: Q("https://example.com/${values('x'")), Hook(url: Q("https://${values('host')}/hook")), Hook(url: Q("https://example.com/\u0000")),
            Hook(extra: ",\"headers\":[{\"name\":\"" + new string('h', 10_000) + "\",\"value\":\"v\"}]"),
            Hook(extra: ",\"headers\":[{\"name\":\"X-A\\r\\nX-B\",\"value\":\"v\"}]"), Hook(extra: ",\"headers\":[{\"name\":\"X-A:\",\"value\":\"v\"}]"),
            Hook(extra: ",\"headers\":[{\"name\":\"X-A\",\"value\":\"v\\r\\nX-B: 1\"}]"), Hook(extra: ",\"headers\":[{\"name\":\"\",\"value\":\"v\"}]"),
            Hook(extra: ",\"headers\":[{\"name\":\"X-A\",\"value\":\"" + new string('v', 20_000) + "\"}]"), Hook(extra: ",\"headers\":[{\"name\":\"\\ud800\",\"value\":\"v\"}]"),
            Hook(extra: ",\"headers\":\"X-A: v\""), Hook(extra: ",\"headers\":[\"X-A: v\"]"), Hook(extra: ",\"headers\":{\"X-A\":\"v\"}"),
            Hook(extra: ",\"filter\":\"values(\""), Hook(extra: ",\"filter\":\"\\ud800\""), Hook(extra: ",\"filter\":\"" + new string('1', 200_000) + "\""),
            Hook(extra: ",\"signing\":{\"scheme\":\"rot13\"}"), Hook(extra: ",\"signing\":\"standard\""), Hook(extra: ",\"timeoutSeconds\":-1"),
            Hook(extra: ",\"timeoutSeconds\":100000"), Hook(extra: ",\"timeoutSeconds\":\"ten\""), Hook(extra: ",\"payloadFormat\":\"xml\""),
            Hook(extra: ",\"fieldAliases\":{\"a\":1}"), Hook(extra: ",\"fieldAliases\":[1]"), Hook(extra: ",\"enabled\":\"yes\""),
            "{\"name\":\"x\",\"scope\":\"Galaxy\",\"type\":\"User\",\"event\":\"Created\",\"url\":\"https://example.com\"}",
            "{\"name\":\"x\",\"scope\":\"Space\",\"type\":\"Nope\",\"event\":\"Created\",\"url\":\"https://example.com\"}",
            "{\"name\":\"x\",\"scope\":\"Space\",\"type\":\"User\",\"event\":\"Exploded\",\"url\":\"https://example.com\"}",
            "{\"name\":\"x\",\"scope\":\"Kapp\",\"type\":\"Submission\",\"event\":\"Submitted\",\"url\":\"https://example.com\"}",
            "{", "[]", "\"x\"", Deep,
        ];
        foreach (var body in badHooks) yield return ["POST", hooks, body, "application/json"];
        var missing = Guid.NewGuid();
        yield return ["PUT", $"{hooks}/{missing}", Hook(Q("x")), "application/json"];
        yield return ["PUT", $"{hooks}/not-a-guid", Hook(Q("x")), "application/json"];
        yield return ["DELETE", $"{hooks}/{missing}", null, null];
        yield return ["GET", $"{hooks}/{missing}", null, null];
        yield return ["POST", $"{hooks}/{missing}/test", null, null];
        yield return ["PATCH", hooks, "{}", "application/json"];

        var jobs = "/api/v1/jobs";
        foreach (var query in new[] { "?status=exploded", "?status=1", "?limit=0", "?limit=100000", "?pageToken=garbage", "?pageToken=%00%ff", "?from=yesterday",
                     "?webhook=not-a-guid", "?q=%ud800", "?q=" + new string('q', 5000) })
        {
            yield return ["GET", jobs + query, null, null];
        }
        yield return ["GET", $"{jobs}/{missing}", null, null];
        yield return ["POST", $"{jobs}/{missing}/retry", null, null];
        yield return ["POST", $"{jobs}/{missing}/retry", "{\"body\":\"{not json\"}", "application/json"];
        yield return ["POST", $"{jobs}/{missing}/retry", "{\"url\":\"https://evil.example/x\"}", "application/json"];
        yield return ["POST", $"{jobs}/{missing}/retry", "{\"url\":\"https://a/\\r\\nb\"}", "application/json"];
        yield return ["POST", $"{jobs}/{missing}/retry", "{\"body\":\"\\ud800\"}", "application/json"];
        yield return ["POST", $"{jobs}/{missing}/retry", "[", "application/json"];
        yield return ["POST", $"{jobs}/{missing}/abandon", null, null];
        yield return ["POST", $"{jobs}/retry", "{\"status\":\"exploded\"}", "application/json"];
        yield return ["POST", $"{jobs}/retry", "{\"status\":\"succeeded\"}", "application/json"];
        yield return ["POST", $"{jobs}/retry", "{\"from\":\"soon\"}", "application/json"];
        yield return ["POST", $"{jobs}/retry", "{\"webhook\":\"\\ud800\"}", "application/json"];

        var callbacks = "/api/v1/notifications";
        yield return ["PUT", $"{callbacks}/{missing}", "{\"status\":\"completed\"}", "application/json"];
        yield return ["PUT", $"{callbacks}/not-a-guid", "{\"status\":\"completed\"}", "application/json"];
        yield return ["PUT", $"{callbacks}/{missing}", "{\"status\":\"exploded\"}", "application/json"];
        yield return ["PUT", $"{callbacks}/{missing}", "{", "application/json"];
        yield return ["PUT", $"{callbacks}/{missing}", "{\"status\":\"\\ud800\"}", "application/json"];
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Hostile_request_gets_a_deliberate_answer_never_a_5xx(string method, string path, string? body, string? contentType)
    {
        var client = factory.CreateSeedKeyClient();
        var before = await CountsAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            var encoding = contentType?.Contains("utf-16") == true ? Encoding.Unicode : Encoding.UTF8;
            request.Content = new ByteArrayContent(encoding.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        var response = await client.SendAsync(request);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status < 500, $"{method} {path}: {status} {text[..Math.Min(text.Length, 400)]}");
        if (status >= 400)
        {
            Assert.True(response.Content.Headers.ContentLength is 0 || response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                $"{method} {path}: {status} as {response.Content.Headers.ContentType}");
            Assert.DoesNotContain("   at ", text); // never a stack trace
            // A refused request stores nothing.
            Assert.Equal(before, await CountsAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/catalog")).StatusCode);
    }

    [Fact]
    public async Task A_platform_cannot_claim_its_event_came_from_the_simulator()
    {
        var body = "{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"source\":\"simulator\"}";
        var response = await factory.CreateSeedKeyClient().PostAsync("/api/v1/events", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("source", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"k\",\"context\":{\"submission\":{\"values\":{\"Room\":\"\\ud800\"}}}}", "context")]
    [InlineData("{\"type\":\"Submission\",\"action\":\"Submitted\",\"kapp\":\"\\ud800\"}", "kapp")]
    public async Task A_lone_surrogate_in_an_event_is_a_400_naming_the_field(string body, string field)
    {
        var response = await factory.CreateSeedKeyClient().PostAsync("/api/v1/events", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains(field, text);
        Assert.Contains("surrogate", text);
    }

    [Theory]
    [InlineData(null, "\"url\":\"https://example.com/a\\r\\nX-Injected: 1\"", "url")]
    [InlineData(null, "\"url\":\"https://example.com/hook\",\"headers\":[{\"name\":\"HHHH\",\"value\":\"v\"}]", "headers[0].name")]
    [InlineData(null, "\"url\":\"https://example.com/hook\",\"headers\":[{\"name\":\"X-A\",\"value\":\"a\\r\\nX-B: 1\"}]", "headers[0].value")]
    [InlineData("\"\\ud800\"", "\"url\":\"https://example.com/hook\"", "name")]
    [InlineData("\"a\\nb\"", "\"url\":\"https://example.com/hook\"", "name")]
    public async Task Malformed_webhook_fields_are_a_400_naming_the_field(string? name, string fields, string field)
    {
        name ??= Q("hostile " + Guid.NewGuid().ToString("N")[..6]);
        var body = "{\"name\":" + name + ",\"scope\":\"Space\",\"type\":\"User\",\"event\":\"Created\"," + fields.Replace("HHHH", new string('h', 10_000)) + "}";
        var response = await factory.CreateSeedKeyClient().PostAsync("/api/v1/webhooks", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Contains(field, text);
    }

    public static IEnumerable<object?[]> SignInCorpus() =>
        new[]
        {
            ("", ""), (new string('e', 10_000) + "@x.y", "p"), ("\ud800@x.y", "p"), ("admin@test.local' OR '1'='1", "' OR '1'='1"),
            ("<script>alert(1)</script>@x.y", "p"), ("admin@test.local", new string('p', 100_000)), ("a@b.c\r\nSet-Cookie: x=1", "p"),
            ("nobody@test.local", "Wrong-Passw0rd!"),
        }.Select(c => new object?[] { c.Item1, c.Item2 });

    [Theory]
    [MemberData(nameof(SignInCorpus))]
    public async Task Hostile_sign_in_form_never_fails_the_server_or_signs_in(string email, string password)
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await SignInForm.PostAsync(client, email, password);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} {text[..Math.Min(400, text.Length)]}");
        Assert.NotEqual(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("<script>alert(1)</script>", text);
        // Without the antiforgery token the form is refused outright.
        var forged = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password }));
        Assert.True((int)forged.StatusCode is >= 400 and < 500, $"{(int)forged.StatusCode}");
    }

    private async Task<(int Events, int Webhooks, int Jobs)> CountsAsync()
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return (await db.Events.CountAsync(), await db.Webhooks.CountAsync(), await db.WebhookJobs.CountAsync());
    }
}
