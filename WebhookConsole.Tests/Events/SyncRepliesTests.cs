using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Security;
using WebhookConsole.Tests.Dispatching;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Events;

/// <summary>
/// The applicant portal's synchronous webhooks (seed 002): <c>Prefer: wait</c> delivers them at once and answers with
/// what came back, against real receivers.
/// </summary>
public class SyncRepliesTests(DeliveryFactory factory) : IClassFixture<DeliveryFactory>, IAsyncLifetime
{
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static string Kapp() => "sy" + Guid.NewGuid().ToString("N")[..10];

    private async Task CreateAsync(HttpClient api, string kapp, string name, string url, bool synchronous = true, string action = "Submitted")
    {
        var response = await api.PostAsJsonAsync("/api/v1/webhooks", new JsonObject
        {
            ["name"] = name, ["scope"] = "Kapp", ["kapp"] = kapp, ["type"] = "Submission", ["event"] = action, ["url"] = url,
            ["signing"] = new JsonObject { ["scheme"] = "none" }, ["payloadFormat"] = "portal", ["synchronous"] = synchronous,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private string Replies(string path, string json, int delayMs = 0) => _receiver.On(path, async (ctx, n) =>
    {
        if (delayMs > 0 && n == 1) await Task.Delay(delayMs);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(json);
    });

    private static async Task<(HttpResponseMessage Response, JsonObject Body)> PostWaitingAsync(HttpClient events, string kapp, string prefer = "wait=3", string action = "Submitted")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events")
        {
            Content = JsonContent.Create(new { type = "Submission", action, kapp, form = "application", context = new { submission = new { values = new { Student = "Ann" } } } }),
        };
        if (prefer.Length > 0) request.Headers.Add("Prefer", prefer);
        var response = await events.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, JsonNode.Parse(text)!.AsObject());
    }

    private async Task<List<JobAttempt>> AttemptsAsync(Guid jobId)
    {
        await using var db = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.JobAttempts.AsNoTracking().Where(a => a.JobId == jobId).OrderBy(a => a.Number).ToListAsync();
    }

    [Fact]
    public async Task An_error_stops_the_submission_and_the_messages_come_back_in_webhook_order()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var kapp = Kapp();
        await CreateAsync(api, kapp, "A checks the student id", Replies("/error", """{"msg":"The student id is missing","msg_type":"error","focus_on":"student_id"}"""));
        await CreateAsync(api, kapp, "B fills the form", Replies("/jdoc", """{"msg":"Looked up","msg_type":"success","jdoc":{"first_name":"Ann"}}"""));
        await CreateAsync(api, kapp, "C sends elsewhere", Replies("/redirect", """{"redirect":"https://portal.example/next"}"""));
        var events = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);

        var (response, body) = await PostWaitingAsync(events, kapp);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("wait=3", response.Headers.GetValues("Preference-Applied").Single());
        var responses = body["responses"]!.AsArray();
        Assert.Equal(["A checks the student id", "B fills the form", "C sends elsewhere"], responses.Select(r => r!["webhook"]!.GetValue<string>()));
        Assert.Equal("error", responses[0]!["msgType"]!.GetValue<string>());
        Assert.Equal("student_id", responses[0]!["focusOn"]!.GetValue<string>());
        Assert.Equal("Ann", responses[1]!["jdoc"]!["first_name"]!.GetValue<string>());
        Assert.Equal(200, responses[2]!["statusCode"]!.GetValue<int>());
        var verdict = body["verdict"]!;
        Assert.True(verdict["stop"]!.GetValue<bool>());
        Assert.Equal(["The student id is missing", "Looked up"], verdict["messages"]!.AsArray().Select(m => m!["msg"]!.GetValue<string>()));
        // Refused: no redirect and no change to the form.
        Assert.Null(verdict["redirect"]);
        Assert.Null(verdict["jdoc"]);

        // Recorded as sync attempts, each job delivered.
        foreach (var r in responses)
        {
            var attempts = await AttemptsAsync(Guid.Parse(r!["jobId"]!.GetValue<string>()));
            Assert.Equal(AttemptTrigger.Sync, Assert.Single(attempts).Trigger);
        }
        Assert.Single(_receiver.To("/error"));
    }

    [Fact]
    public async Task Without_an_error_the_redirect_passes_through_and_the_jdocs_merge()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var kapp = Kapp();
        await CreateAsync(api, kapp, "First", Replies("/first", """{"msg":"Welcome","msg_type":"success","jdoc":{"first_name":"Ann","grade":"7"}}"""), action: "Preprocess");
        await CreateAsync(api, kapp, "Second", Replies("/second", """{"redirect":"https://portal.example/step-2","jdoc":{"grade":"8"}}"""), action: "Preprocess");
        var events = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);

        var (_, body) = await PostWaitingAsync(events, kapp, "respond-async, wait=5", action: "Preprocess");
        var verdict = body["verdict"]!;
        Assert.False(verdict["stop"]!.GetValue<bool>());
        Assert.Equal("https://portal.example/step-2", verdict["redirect"]!.GetValue<string>());
        Assert.Equal("""{"first_name":"Ann","grade":"8"}""", verdict["jdoc"]!.ToJsonString());
        // The portal's own event name for this one, in the payload the receiver got.
        Assert.Contains("\"form_preprocess_application\"", _receiver.To("/first").Single().Body);
    }

    [Fact]
    public async Task A_slow_receiver_times_out_its_job_is_retried_later_and_a_bad_reply_is_reported_not_a_500()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var kapp = Kapp();
        await CreateAsync(api, kapp, "Slow", Replies("/slow", """{"msg":"late"}""", delayMs: 4000));
        await CreateAsync(api, kapp, "Text", _receiver.Status("/text", 200, "OK thanks"));
        await CreateAsync(api, kapp, "Queued as usual", _receiver.Status("/queued", 200), synchronous: false);
        var events = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);

        var watch = Stopwatch.StartNew();
        var (response, body) = await PostWaitingAsync(events, kapp, "wait=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3.5), $"the answer took {watch.Elapsed.TotalSeconds:0.0} s for a 1 s wait");
        var responses = body["responses"]!.AsArray().ToDictionary(r => r!["webhook"]!.GetValue<string>());
        Assert.Equal(2, responses.Count); // the non-synchronous webhook is not waited for
        Assert.True(responses["Slow"]!["timedOut"]!.GetValue<bool>());
        Assert.Contains("not JSON", responses["Text"]!["error"]!.GetValue<string>());
        Assert.Equal("OK thanks", responses["Text"]!["body"]!.GetValue<string>());
        Assert.False(body["verdict"]!["stop"]!.GetValue<bool>());
        Assert.Equal(3, body["jobs"]!.AsArray().Count);

        // The slow one's job stays Pending on its schedule and is delivered by a later attempt.
        var slowJob = Guid.Parse(responses["Slow"]!["jobId"]!.GetValue<string>());
        var job = await factory.WaitForJobAsync(slowJob, j => j.Status == JobStatus.Succeeded, "the slow webhook's retry", seconds: 30);
        var attempts = await AttemptsAsync(slowJob);
        Assert.Equal(AttemptTrigger.Sync, attempts[0].Trigger);
        Assert.Equal(AttemptErrorKind.Timeout, attempts[0].ErrorKind);
        Assert.Contains("deadline", attempts[0].Error);
        Assert.Equal(AttemptTrigger.Schedule, attempts[^1].Trigger);
        Assert.True(job.AttemptCount >= 2);
        // The other webhook went through the lane, as without Prefer.
        var queued = body["jobs"]!.AsArray().Single(j => j!["webhook"]!.GetValue<string>() == "Queued as usual")!["id"]!.GetValue<string>();
        await factory.WaitForJobAsync(Guid.Parse(queued), j => j.Status == JobStatus.Succeeded, "the queued webhook");
        Assert.Equal(AttemptTrigger.Schedule, Assert.Single(await AttemptsAsync(Guid.Parse(queued))).Trigger);
    }

    [Fact]
    public async Task Without_prefer_the_event_is_queued_as_before_and_only_waiting_events_may_be_synchronous()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var kapp = Kapp();
        await CreateAsync(api, kapp, "Sync but not waited for", Replies("/nowait", """{"msg":"hi"}"""));
        var events = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        var (response, body) = await PostWaitingAsync(events, kapp, prefer: "");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Null(body["responses"]);
        var job = Guid.Parse(body["jobs"]![0]!["id"]!.GetValue<string>());
        await factory.WaitForJobAsync(job, j => j.Status == JobStatus.Succeeded, "the lane to deliver it");

        var refused = await api.PostAsJsonAsync("/api/v1/webhooks", new JsonObject
        {
            ["name"] = "User sync", ["scope"] = "Space", ["type"] = "User", ["event"] = "Created", ["url"] = _receiver.Status("/u", 200),
            ["signing"] = new JsonObject { ["scheme"] = "none" }, ["synchronous"] = true,
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("synchronous", await refused.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("wait=5", 5)]
    [InlineData("respond-async, wait=2", 2)]
    [InlineData("wait=60", 10)]
    [InlineData("wait", 3)]
    [InlineData("wait=abc", 3)]
    [InlineData("handling=lenient", null)]
    public void Prefer_wait_is_read_as_RFC_7240_says_and_capped(string header, int? seconds)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["Prefer"] = header;
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, EventsApi.PreferredWait(context.Request, new EventsOptions()));
    }
}
