using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Security;
using WebhookConsole.Tests.Dispatching;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Jobs;

/// <summary>Edit-then-retry cannot hand a webhook's credentials to another receiver, nor speak for its health.</summary>
public abstract class RetrySafetyTests<TFactory>(TFactory factory) : IClassFixture<TFactory>, IAsyncLifetime
    where TFactory : DeliveryFactory
{
    private Receiver _receiver = default!;
    private Receiver _elsewhere = default!;

    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        _elsewhere = await Receiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _elsewhere.DisposeAsync();
    }

    private static string NewPath() => "/" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>
    /// Retries as a client should: the job goes on with its own schedule meanwhile, and while one of its attempts is
    /// in flight (or starts during the request) the API answers 409 and nothing changes, so the client asks again.
    /// </summary>
    private static async Task<HttpResponseMessage> RetryWhenFreeAsync(HttpClient api, Guid jobId, object body)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var response = await api.PostAsJsonAsync($"/api/v1/jobs/{jobId}/retry", body);
            if (response.StatusCode != HttpStatusCode.Conflict || DateTime.UtcNow > deadline) return response;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task EditedRetry_ToAnotherOrigin_IsRefusedFor_EveryRoleAndKey_AndSendsNothing()
    {
        var path = NewPath();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 500), headers: [new("Authorization", "Bearer hunter2")]);
        var jobId = await factory.FireAsync(webhook);
        var failed = await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= 1, "a first attempt");
        var thief = NewPath();
        var stolen = _elsewhere.Status(thief, 200);

        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        var refused = await api.PostAsJsonAsync($"/api/v1/jobs/{jobId}/retry", new { url = stolen, body = "{\"a\":1}" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("edit the webhook", (await refused.Content.ReadAsStringAsync()));

        // The service refuses it for an Admin too (the pages and the API go through it).
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var jobs = scope.ServiceProvider.GetRequiredService<JobsService>();
            var admin = new Actor("a", "admin", false, new HashSet<string> { Roles.Admin }, new HashSet<string>());
            var result = await jobs.RetryAsync(admin, jobId, new RetryRequest(stolen.Replace("127.0.0.1", "localhost"), null));
            Assert.Equal(ActionStatus.Invalid, result.Status);
            // Same host, other port: another origin.
            var otherPort = new UriBuilder(_receiver.BaseUrl + path) { Port = new Uri(_elsewhere.BaseUrl).Port }.Uri.ToString();
            Assert.Equal(ActionStatus.Invalid, (await jobs.RetryAsync(admin, jobId, new RetryRequest(otherPort, null))).Status);
            Assert.Equal(ActionStatus.Invalid, (await jobs.RetryAsync(admin, jobId, new RetryRequest(_receiver.BaseUrl.Replace("http:", "https:") + path, null))).Status);
        }

        var job = await factory.JobAsync(jobId);
        Assert.Equal(failed.Url, job.Url);
        Assert.Null(job.OriginalUrl);
        Assert.Null(job.OriginalRequestBody);
        await Task.Delay(300);
        Assert.Empty(_elsewhere.To(thief));
    }

    [Fact]
    public async Task EditedRetry_ToAnotherPathOfTheSameOrigin_IsSent()
    {
        var path = NewPath();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 500));
        var jobId = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= 1, "a first attempt");
        var fixedPath = NewPath();
        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        var ok = await RetryWhenFreeAsync(api, jobId, new { url = _receiver.Status(fixedPath, 200) + "?replay=1" });
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "the edited retry");
        Assert.Equal("?replay=1", Assert.Single(_receiver.To(fixedPath)).Query);
    }

    [Fact]
    public async Task RetryWithCurrentWebhook_RendersUrlAndHeadersFromTodaysDefinition()
    {
        var oldPath = NewPath();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(oldPath, 500), headers: [new("X-Team", "old")]);
        var jobId = await factory.FireAsync(webhook, room: "C7");
        var first = await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= 1, "a first attempt");

        // The admin moves the webhook to its new receiver (another origin) with a new header.
        var newPath = NewPath();
        _elsewhere.Status(newPath, 200);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var saved = await scope.ServiceProvider.GetRequiredService<WebhookService>().UpdateAsync(Actor.System, webhook.Id, new WebhookInput
            {
                Url = _elsewhere.BaseUrl + newPath + "/${values('Room')}", Headers = [new("X-Team", "new")], Enabled = true,
            });
            Assert.Equal(SaveStatus.Ok, saved.Status);
        }

        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        var retry = await RetryWhenFreeAsync(api, jobId, new { useCurrentWebhook = true });
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "the retry with current settings");
        var received = Assert.Single(_elsewhere.To(newPath + "/C7"));
        Assert.Equal("new", received.Headers["X-Team"]);
        Assert.Equal(first.RequestBody, received.Body);
        Assert.Equal(first.Url, job.OriginalUrl);
        Assert.Equal(AttemptTrigger.Edited, job.Attempts.OrderBy(a => a.Number).Last().Trigger);

        var both = await api.PostAsJsonAsync($"/api/v1/jobs/{jobId}/retry", new { useCurrentWebhook = true, url = _elsewhere.BaseUrl + "/x" });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
    }

    [Fact]
    public async Task ManualAndEditedAttempts_NeverDisableTheWebhook_Even410()
    {
        var path = NewPath();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 200));
        var jobId = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "the delivery");
        var gonePath = NewPath();
        _receiver.Status(gonePath, 410);
        var failingPath = NewPath();
        _receiver.Status(failingPath, 500);

        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsJsonAsync($"/api/v1/jobs/{jobId}/retry", new { url = _receiver.BaseUrl + gonePath })).StatusCode);
        await factory.WaitForJobAsync(jobId, j => j.AttemptCount == 2, "the edited retry to a 410");
        // The threshold is 3: four manual retries answered 500 would trip it if they counted.
        for (var i = 0; i < 4; i++)
        {
            var expected = 3 + i;
            Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsJsonAsync($"/api/v1/jobs/{jobId}/retry", new { url = _receiver.BaseUrl + failingPath })).StatusCode);
            await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= expected && j.Attempts.Any(a => a.Number == expected), "a manual attempt");
        }
        var after = await factory.WebhookAsync(webhook.Id);
        Assert.True(after.Enabled, after.DisabledReason);
        Assert.Equal(0, after.ConsecutiveFailures);
    }

    [Fact]
    public async Task BulkRetry_OfSucceededJobs_NeedsARange()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        var refused = await api.PostAsJsonAsync("/api/v1/jobs/retry", new { status = "succeeded" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("from and to", await refused.Content.ReadAsStringAsync());
        var halfRange = await api.PostAsJsonAsync("/api/v1/jobs/retry", new { status = "succeeded", from = DateTime.UtcNow.AddHours(-1) });
        Assert.Equal(HttpStatusCode.BadRequest, halfRange.StatusCode);
        var ranged = await api.PostAsJsonAsync("/api/v1/jobs/retry", new { status = "succeeded", from = DateTime.UtcNow.AddYears(-30), to = DateTime.UtcNow.AddYears(-29) });
        Assert.Equal(HttpStatusCode.Accepted, ranged.StatusCode);
        Assert.Equal(0, JsonNode.Parse(await ranged.Content.ReadAsStringAsync())!["retried"]!.GetValue<int>());
    }
}

/// <summary>RetrySafetyTests on SQLite.</summary>
public sealed class RetrySafetyTestsOnSqlite(DeliveryFactory factory) : RetrySafetyTests<DeliveryFactory>(factory);

/// <summary>RetrySafetyTests on PostgreSQL.</summary>
public sealed class RetrySafetyTestsOnPostgres(PostgresDeliveryFactory factory) : RetrySafetyTests<PostgresDeliveryFactory>(factory);
