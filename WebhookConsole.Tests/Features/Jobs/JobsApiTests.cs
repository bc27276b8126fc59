using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;
using WebhookConsole.Tests.Dispatching;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Jobs;

public abstract class JobsApiTests<TFactory>(TFactory factory) : IClassFixture<TFactory>, IAsyncLifetime
    where TFactory : DeliveryFactory
{
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();
    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static async Task<JsonNode> Json(HttpResponseMessage r) => JsonNode.Parse(await r.Content.ReadAsStringAsync())!;

    [Fact]
    public async Task Edited_retry_sends_the_edited_body_keeps_the_original_and_records_who()
    {
        var path = "/" + Guid.NewGuid().ToString("N")[..10];
        var healthy = false;
        var url = _receiver.On(path, (ctx, _) =>
        {
            ctx.Response.StatusCode = healthy ? 200 : 500;
            return Task.CompletedTask;
        });
        var webhook = await factory.CreateWebhookAsync(url);
        var jobId = await factory.FireAsync(webhook);
        var failed = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Failed, "the job to fail");

        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        var list = await Json(await api.GetAsync($"/api/v1/jobs?status=failed&webhook={webhook.Id}"));
        Assert.Equal(jobId.ToString(), Assert.Single(list["items"]!.AsArray())!["id"]!.GetValue<string>());

        // Three failures tripped the threshold and disabled the webhook; its jobs are held until it is enabled.
        var admin = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        (await admin.PutAsJsonAsync($"/api/v1/webhooks/{webhook.Id}", new { enabled = true })).EnsureSuccessStatusCode();
        healthy = true;
        var edited = "{\"fixed\":true,\"room\":\"B14\"}";
        var retry = await api.PostAsJsonAsync($"/api/v1/jobs/{jobId}/retry", new { body = edited });
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);

        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "the edited retry to succeed");
        Assert.Equal(edited, _receiver.To(path).Last().Body);
        Assert.Equal(failed.RequestBody, job.OriginalRequestBody);
        Assert.Equal(edited, job.RequestBody);
        var last = job.Attempts.OrderBy(a => a.Number).Last();
        Assert.Equal(AttemptTrigger.Edited, last.Trigger);
        Assert.StartsWith("api-key:", last.TriggeredBy);

        var detail = await Json(await api.GetAsync($"/api/v1/jobs/{jobId}"));
        Assert.Equal("succeeded", detail["status"]!.GetValue<string>());
        Assert.Equal(failed.RequestBody, detail["originalRequestBody"]!.GetValue<string>());
        Assert.Equal(4, detail["attempts"]!.AsArray().Count);
        Assert.Equal("edited", detail["attempts"]![3]!["trigger"]!.GetValue<string>());
        // Each attempt shows the body it sent; only the edited one stores a body of its own.
        Assert.Equal([failed.RequestBody, failed.RequestBody, failed.RequestBody, edited], detail["attempts"]!.AsArray().Select(a => a!["requestBody"]!.GetValue<string>()));
        Assert.Equal([null, null, null, edited], job.Attempts.OrderBy(a => a.Number).Select(a => a.RequestBody));
    }

    [Fact]
    public async Task Retry_of_a_succeeded_job_resends_it_as_manual_and_abandon_stops_a_failing_one()
    {
        var ok = "/" + Guid.NewGuid().ToString("N")[..10];
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(ok, 200));
        var jobId = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "success");
        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);

        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/jobs/{jobId}/retry", null)).StatusCode);
        var job = await factory.WaitForJobAsync(jobId, j => j.AttemptCount == 2 && j.Status == JobStatus.Succeeded, "the manual resend");
        Assert.Equal(AttemptTrigger.Manual, job.Attempts.Single(a => a.Number == 2).Trigger);
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsync($"/api/v1/jobs/{jobId}/abandon", null)).StatusCode);

        var bad = "/" + Guid.NewGuid().ToString("N")[..10];
        var failing = await factory.CreateWebhookAsync(_receiver.Status(bad, 503));
        var failingJob = await factory.FireAsync(failing);
        await factory.WaitForJobAsync(failingJob, j => j.AttemptCount >= 1, "a first attempt");
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/jobs/{failingJob}/abandon", null)).StatusCode);
        var abandoned = await factory.JobAsync(failingJob);
        Assert.Equal(JobStatus.Abandoned, abandoned.Status);
        Assert.Null(abandoned.NextAttemptAt);
    }

    [Fact]
    public async Task Lists_page_by_cursor_newest_first_and_filter()
    {
        var path = "/" + Guid.NewGuid().ToString("N")[..10];
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 200));
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++) ids.Add(await factory.FireAsync(webhook, room: $"R{i}"));
        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await Json(await api.GetAsync($"/api/v1/jobs?webhook={webhook.Id}&limit=2" + (token is null ? "" : $"&pageToken={token}")));
            seen.AddRange(page["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
            token = page["nextPageToken"]?.GetValue<string>();
        } while (token is not null);
        Assert.Equal(ids.AsEnumerable().Reverse().Select(i => i.ToString()), seen);

        await factory.WaitForJobAsync(ids[2], j => j.Status == JobStatus.Succeeded, "delivery");
        var search = await Json(await api.GetAsync($"/api/v1/jobs?webhook={webhook.Id}&q=%22R2%22"));
        Assert.Equal(ids[2].ToString(), Assert.Single(search["items"]!.AsArray())!["id"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/v1/jobs?pageToken=garbage!")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/v1/jobs?status=exploded")).StatusCode);
    }

    [Fact]
    public async Task Bulk_retry_retries_a_webhooks_failures()
    {
        var path = "/" + Guid.NewGuid().ToString("N")[..10];
        var healthy = false;
        var webhook = await factory.CreateWebhookAsync(_receiver.On(path, (ctx, _) =>
        {
            ctx.Response.StatusCode = healthy ? 200 : 500;
            return Task.CompletedTask;
        }));
        var a = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(a, j => j.Status == JobStatus.Failed, "failure");
        // The webhook tripped the threshold (3 failures): it is disabled just after the last attempt is recorded.
        // Enable it again before retrying.
        var admin = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        await Eventually.WaitAsync(async () => JsonNode.Parse(await admin.GetStringAsync($"/api/v1/webhooks/{webhook.Id}"))!["enabled"]!.GetValue<bool>(),
            enabled => !enabled, TimeSpan.FromSeconds(10), "the webhook to be disabled by the threshold");
        (await admin.PutAsJsonAsync($"/api/v1/webhooks/{webhook.Id}", new { enabled = true })).EnsureSuccessStatusCode();
        healthy = true;

        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        var response = await api.PostAsJsonAsync("/api/v1/jobs/retry", new { webhook = webhook.Id, status = "failed" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await Json(response))["retried"]!.GetValue<int>());
        await factory.WaitForJobAsync(a, j => j.Status == JobStatus.Succeeded, "the bulk retry to succeed");
    }

    [Theory]
    [InlineData("7")]
    [InlineData("1,2")]
    [InlineData("sent")]
    public async Task A_status_must_be_a_name_in_the_list_and_the_bulk_retry_too(string status)
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        foreach (var response in new[]
        {
            await api.GetAsync($"/api/v1/jobs?status={Uri.EscapeDataString(status)}"),
            await api.PostAsJsonAsync("/api/v1/jobs/retry", new { status }),
        })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var detail = (await Json(response))["detail"]!.GetValue<string>();
            Assert.Contains("pending", detail);
            Assert.Contains("abandoned", detail);
        }
    }

    [Fact]
    public async Task Jobs_need_the_jobs_manage_scope()
    {
        var wrong = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        Assert.Equal(HttpStatusCode.Forbidden, (await wrong.GetAsync("/api/v1/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await wrong.PostAsync($"/api/v1/jobs/{Guid.NewGuid()}/retry", null)).StatusCode);
        var right = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        Assert.Equal(HttpStatusCode.NotFound, (await right.PostAsync($"/api/v1/jobs/{Guid.NewGuid()}/retry", null)).StatusCode);
        var badBody = await right.PostAsJsonAsync($"/api/v1/jobs/{Guid.NewGuid()}/retry", new { body = "{ not json" });
        Assert.Equal(HttpStatusCode.BadRequest, badBody.StatusCode);
        Assert.Contains("not valid JSON", (await Json(badBody))["detail"]!.GetValue<string>());
    }
}

/// <summary>JobsApiTests on SQLite.</summary>
public sealed class JobsApiTestsOnSqlite(DeliveryFactory factory) : JobsApiTests<DeliveryFactory>(factory);

/// <summary>JobsApiTests on PostgreSQL.</summary>
public sealed class JobsApiTestsOnPostgres(PostgresDeliveryFactory factory) : JobsApiTests<PostgresDeliveryFactory>(factory);
