using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>Deliveries against real Kestrel receivers on 127.0.0.1.</summary>
public abstract class DeliveryTests<TFactory>(TFactory factory) : IClassFixture<TFactory>, IAsyncLifetime
    where TFactory : DeliveryFactory
{
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();
    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static string Path() => "/" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Success_records_the_request_as_sent_and_the_response()
    {
        var path = Path();
        var url = _receiver.Status(path, 200, "{\"run\":1234}");
        var webhook = await factory.CreateWebhookAsync(url, "none");
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "success");
        var attempt = Assert.Single(job.Attempts);
        Assert.Equal(AttemptTrigger.Schedule, attempt.Trigger);
        Assert.Equal(200, attempt.StatusCode);
        Assert.Equal("{\"run\":1234}", attempt.ResponseBody);
        Assert.Equal("200 OK", job.Summary);
        Assert.NotNull(job.CompletedAt);
        var received = Assert.Single(_receiver.To(path));
        Assert.Equal(received.Body, job.BodyOf(attempt));
        Assert.Null(attempt.RequestBody); // stored once, on the job
        Assert.Equal("application/json", received.Headers["Content-Type"].Split(';')[0]);
        Assert.Equal("B12", JsonNode.Parse(received.Body)!["values"]!["Room"]!.GetValue<string>());
        Assert.Contains(attempt.ResponseHeaders, h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || h.Name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_500_then_success_is_retried_with_both_attempts_recorded()
    {
        var path = Path();
        var url = _receiver.On(path, (ctx, n) =>
        {
            ctx.Response.StatusCode = n == 1 ? 500 : 200;
            return Task.CompletedTask;
        });
        var webhook = await factory.CreateWebhookAsync(url);
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "the retry to succeed");
        Assert.Equal(2, job.AttemptCount);
        var attempts = job.Attempts.OrderBy(a => a.Number).ToList();
        Assert.Equal([500, 200], attempts.Select(a => a.StatusCode ?? 0));
        Assert.Equal(AttemptErrorKind.Http, attempts[0].ErrorKind);
        Assert.True(attempts[1].StartedAt >= attempts[0].StartedAt.AddMilliseconds(900), "the retry waits the schedule's delay");
        Assert.Equal(0, (await factory.WebhookAsync(webhook.Id)).ConsecutiveFailures);
    }

    [Fact]
    public async Task A_receiver_that_hangs_times_out()
    {
        var path = Path();
        var url = _receiver.On(path, async (ctx, _) => await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted));
        var webhook = await factory.CreateWebhookAsync(url, timeoutSeconds: 1);
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= 1, "the first attempt");
        var attempt = job.Attempts.OrderBy(a => a.Number).First();
        Assert.Equal(AttemptErrorKind.Timeout, attempt.ErrorKind);
        Assert.StartsWith("Timeout after 1 s", attempt.Error);
        Assert.InRange(attempt.DurationMs, 900, 5000);
    }

    [Fact]
    public async Task A_closed_port_is_connection_refused()
    {
        var port = Network.FreePort();
        var webhook = await factory.CreateWebhookAsync($"http://127.0.0.1:{port}/nobody");
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= 1, "the first attempt");
        var attempt = job.Attempts.First();
        Assert.Equal(AttemptErrorKind.Connection, attempt.ErrorKind);
        Assert.Equal("Connection refused", attempt.Error);
        Assert.Equal(JobStatus.Pending, job.Status);
        Assert.NotNull(job.NextAttemptAt);
    }

    [Fact]
    public async Task A_connection_reset_mid_response_is_a_connection_error()
    {
        var path = Path();
        var url = _receiver.On(path, async (ctx, _) =>
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentLength = 10_000;
            await ctx.Response.WriteAsync("partial");
            await ctx.Response.Body.FlushAsync();
            ctx.Abort();
        });
        var webhook = await factory.CreateWebhookAsync(url);
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= 1, "the first attempt");
        var attempt = job.Attempts.First();
        Assert.Equal(AttemptErrorKind.Connection, attempt.ErrorKind);
        Assert.NotEqual(JobStatus.Succeeded, job.Status);
    }

    [Fact]
    public async Task A_slow_body_past_the_timeout_is_a_timeout()
    {
        var path = Path();
        var url = _receiver.On(path, async (ctx, _) =>
        {
            ctx.Response.StatusCode = 200;
            for (var i = 0; i < 20 && !ctx.RequestAborted.IsCancellationRequested; i++)
            {
                await ctx.Response.WriteAsync("x");
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(200);
            }
        });
        var webhook = await factory.CreateWebhookAsync(url, timeoutSeconds: 1);
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= 1, "the first attempt");
        var attempt = job.Attempts.First();
        Assert.Equal(AttemptErrorKind.Timeout, attempt.ErrorKind);
        Assert.Equal(200, attempt.StatusCode);
        Assert.Contains("while reading the response", attempt.Error);
    }

    [Fact]
    public async Task An_oversized_response_is_stored_truncated_and_counted()
    {
        var path = Path();
        var url = _receiver.Status(path, 200, new string('r', 200_000));
        var webhook = await factory.CreateWebhookAsync(url);
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "success");
        var attempt = job.Attempts.Single();
        Assert.Equal(64 * 1024, attempt.ResponseBody!.Length);
        Assert.Equal(200_000, attempt.ResponseBodyLength);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_fails()
    {
        var path = Path();
        var target = Path();
        var url = _receiver.On(path, (ctx, _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = _receiver.BaseUrl + target;
            return Task.CompletedTask;
        });
        var webhook = await factory.CreateWebhookAsync(url);
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Failed, "the job to fail after its schedule");
        Assert.Equal(3, job.AttemptCount);
        Assert.All(job.Attempts, a => Assert.Equal(302, a.StatusCode));
        Assert.Contains("redirects are not followed", job.Summary);
        Assert.Empty(_receiver.To(target));
    }

    [Fact]
    public async Task A_410_fails_the_job_and_disables_the_webhook()
    {
        var path = Path();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 410));
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Failed, "the job to fail");
        Assert.Equal(1, job.AttemptCount);
        var w = await Eventually.WaitAsync(() => factory.WebhookAsync(webhook.Id), x => !x.Enabled, TimeSpan.FromSeconds(5), "the webhook to be disabled");
        Assert.Equal("receiver answered 410 Gone", w.DisabledReason);
    }

    [Fact]
    public async Task A_429_with_retry_after_is_honoured()
    {
        var path = Path();
        var url = _receiver.On(path, (ctx, n) =>
        {
            ctx.Response.StatusCode = n == 1 ? 429 : 200;
            if (n == 1) ctx.Response.Headers.RetryAfter = "2";
            return Task.CompletedTask;
        });
        var webhook = await factory.CreateWebhookAsync(url);
        var jobId = await factory.FireAsync(webhook);

        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "the retry to succeed");
        var attempts = job.Attempts.OrderBy(a => a.Number).ToList();
        // The schedule says 1 s; the receiver asked for 2 s.
        var gap = attempts[1].StartedAt - attempts[0].StartedAt;
        Assert.True(gap >= TimeSpan.FromSeconds(1.9), $"retried after {gap.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Consecutive_failures_disable_the_webhook_hold_its_jobs_and_enabling_resumes_them()
    {
        var path = Path();
        var healthy = false;
        var url = _receiver.On(path, (ctx, _) =>
        {
            ctx.Response.StatusCode = healthy ? 200 : 500;
            return Task.CompletedTask;
        });
        var webhook = await factory.CreateWebhookAsync(url);
        var first = await factory.FireAsync(webhook);

        // Threshold 3: the third failed attempt disables the webhook.
        var w = await Eventually.WaitAsync(() => factory.WebhookAsync(webhook.Id), x => !x.Enabled, TimeSpan.FromSeconds(20), "auto-disable");
        Assert.Equal("3 consecutive failed deliveries", w.DisabledReason);
        await using (var db = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            Assert.True(await db.Notifications.AnyAsync(n => n.WebhookId == webhook.Id && n.Kind == NotificationKind.WebhookDisabled));
            Assert.True(await db.AuditEntries.AnyAsync(a => a.EntityId == webhook.Id.ToString() && a.Action == "disabled by the system"));
        }

        // A job of a disabled webhook is held, not sent and not dropped. (Events still match it: the
        // outcome says "webhook disabled"; this job is written directly, as a retry would leave it.)
        var heldId = await InsertPendingJobAsync(webhook);
        await Task.Delay(2500);
        var held = await factory.JobAsync(heldId);
        Assert.Equal(JobStatus.Pending, held.Status);
        Assert.Equal(0, held.AttemptCount);

        healthy = true;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<WebhookService>().SetEnabledAsync(Actor.System, webhook.Id, true);
            Assert.Equal(SaveStatus.Ok, result.Status);
        }
        await factory.WaitForJobAsync(heldId, j => j.Status == JobStatus.Succeeded, "the held job to be delivered after enabling");
        Assert.Equal(0, (await factory.WebhookAsync(webhook.Id)).ConsecutiveFailures);
        // The job whose attempts tripped the threshold used its whole schedule and stays Failed, for a person to retry.
        Assert.Equal(JobStatus.Failed, (await factory.JobAsync(first)).Status);
    }

    private async Task<Guid> InsertPendingJobAsync(WebhookView webhook)
    {
        await using var db = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var now = DateTime.UtcNow;
        var job = new WebhookJob
        {
            Id = Guid.CreateVersion7(), WebhookId = webhook.Id, WebhookName = webhook.Name, EventType = "Submission", EventAction = "Submitted",
            Url = webhook.Url, RequestHeaders = [new HeaderEntry("Content-Type", "application/json")], RequestBody = "{\"held\":true}",
            Status = JobStatus.Pending, NextAttemptAt = now, CreatedAt = now, UpdatedAt = now,
        };
        db.WebhookJobs.Add(job);
        await db.SaveChangesAsync();
        return job.Id;
    }

    [Fact]
    public async Task Async_acknowledgement_waits_for_the_callback_which_is_authenticated_audited_and_taken_once()
    {
        var path = Path();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 200), asyncAck: true);
        Assert.NotNull(webhook.CallbackSecret);
        var jobId = await factory.FireAsync(webhook);
        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Received, "Received");
        Assert.Null(job.CompletedAt);

        var client = factory.CreateClient();
        HttpRequestMessage Put(string key, string credentials, string status) => new(HttpMethod.Put, $"/api/v1/notifications/{key}")
        {
            Headers = { { "Authorization", $"Bearer {credentials}" } },
            Content = JsonContent.Create(new { status, message = "run 42 finished" }),
        };
        var good = $"{webhook.Id}:{webhook.CallbackSecret}";

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Put(jobId.ToString(), $"{webhook.Id}:wrong", "completed"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Put(Guid.NewGuid().ToString(), good, "completed"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(Put(jobId.ToString(), good, "maybe"))).StatusCode);

        var done = await client.SendAsync(Put(jobId.ToString(), good, "completed"));
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        job = await factory.JobAsync(jobId);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Contains("run 42 finished", job.Summary);

        // Only a Received job takes a callback (API.md): a repeat, or a change of mind, finds it ended.
        Assert.Equal(HttpStatusCode.Conflict, (await client.SendAsync(Put(jobId.ToString(), good, "completed"))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.SendAsync(Put(jobId.ToString(), good, "failed"))).StatusCode);
        Assert.Equal(JobStatus.Succeeded, (await factory.JobAsync(jobId)).Status);

        // A job still waiting for its next attempt cannot be ended by a callback either.
        var pending = Guid.CreateVersion7();
        await using (var db = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            db.WebhookJobs.Add(new WebhookJob
            {
                Id = pending, WebhookId = webhook.Id, WebhookName = webhook.Name, EventType = "Submission", EventAction = "Submitted", Url = webhook.Url,
                RequestBody = "{}", Status = JobStatus.Pending, NextAttemptAt = DateTime.UtcNow.AddHours(1), CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        var early = await client.SendAsync(Put(pending.ToString(), good, "completed"));
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("pending", await early.Content.ReadAsStringAsync());
        Assert.Equal(JobStatus.Pending, (await factory.JobAsync(pending)).Status);

        // The one that was taken is in the audit, by the receiver.
        await using var audit = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var entry = Assert.Single(await audit.AuditEntries.Where(a => a.EntityId == jobId.ToString()).ToListAsync());
        Assert.StartsWith("receiver callback", entry.Actor);
        Assert.Contains("completed", entry.Action);
    }

    [Fact]
    public async Task A_doforms_failed_body_is_a_final_failure_not_retried()
    {
        var path = Path();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 200, "{\"status\":\"failed\"}"));
        var jobId = await factory.FireAsync(webhook);
        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Failed, "Failed");
        Assert.Equal(1, job.AttemptCount);
        Assert.Contains("receiver reported failed", job.Summary);
    }

    /// <summary>
    /// The Test button writes its job and sends it at once. Written before the lane held its id, the lane's poll
    /// could take the job up first, and the test then reported "could not be sent" while the lane sent it (a
    /// clean-clone CI run failed so). The lane now holds the id while the job is written.
    /// </summary>
    [Fact]
    public async Task A_job_written_for_an_attempt_now_is_not_taken_up_by_the_lanes_poll()
    {
        var path = Path();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 200));
        var lane = factory.Service<WebhookConsole.Dispatching.Lanes.DeliveryLane>();
        var dbFactory = factory.Service<IDbContextFactory<AppDbContext>>();
        WebhookJob NewJob()
        {
            var job = new WebhookJob { Id = Guid.CreateVersion7(), WebhookId = webhook.Id, WebhookName = webhook.Name, EventType = "Submission", EventAction = "Submitted",
                Url = _receiver.BaseUrl + path, RequestBody = "{}", IsTest = true };
            WebhookConsole.Dispatching.Ledger.JobLifecycle.Create(job, DateTime.UtcNow);
            return job;
        }

        // Written while the lane holds it: a poll right after the write passes it by (one not held would be taken
        // up: the poll reads every due Pending job), and the attempt now is the only one.
        var job = NewJob();
        var polled = -1;
        var attempt = await lane.AttemptNowAsync(job.Id, async ct =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            db.WebhookJobs.Add(job);
            await db.SaveChangesAsync(ct);
            polled = await lane.PollAsync(TimeSpan.FromSeconds(5), ct);
        }, CancellationToken.None);
        Assert.Equal(0, polled);
        Assert.NotNull(attempt);
        Assert.Equal(200, attempt.StatusCode);
        await Task.Delay(1500); // past the lane's own next poll
        Assert.Single(_receiver.To(path));
    }

    [Fact]
    public async Task The_test_endpoint_sends_now_and_reports_status_and_duration()
    {
        var path = Path();
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 201, "{\"ok\":true}"));
        var client = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var response = await client.PostAsync($"/api/v1/webhooks/{webhook.Id}/test", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(result["succeeded"]!.GetValue<bool>());
        Assert.Equal(201, result["statusCode"]!.GetValue<int>());
        Assert.Equal("{\"ok\":true}", result["responseBody"]!.GetValue<string>());
        Assert.True(result["durationMs"]!.GetValue<int>() >= 0);
        Assert.Single(_receiver.To(path));
    }

    // --- Signatures, each checked by an independent implementation written from the spec. ---

    [Fact]
    public async Task Standard_webhooks_signature_verifies_with_the_same_id_on_every_attempt()
    {
        var path = Path();
        var secretBytes = RandomNumberGenerator.GetBytes(32);
        var secret = "whsec_" + Convert.ToBase64String(secretBytes);
        var url = _receiver.On(path, (ctx, n) =>
        {
            ctx.Response.StatusCode = n == 1 ? 503 : 200;
            return Task.CompletedTask;
        });
        var webhook = await factory.CreateWebhookAsync(url, "standard", secret);
        var jobId = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "success");

        var requests = _receiver.To(path);
        Assert.Equal(2, requests.Count);
        foreach (var r in requests)
        {
            Assert.Equal(jobId.ToString(), r.Headers["webhook-id"]);
            var timestamp = r.Headers["webhook-timestamp"];
            Assert.InRange(long.Parse(timestamp), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
            // Spec: signature = base64(HMAC-SHA256(key = base64-decoded secret, "{id}.{timestamp}.{body}")), "v1," prefix.
            using var hmac = new HMACSHA256(secretBytes);
            var expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{r.Headers["webhook-id"]}.{timestamp}.{r.Body}")));
            Assert.Contains(expected, r.Headers["webhook-signature"].Split(' '));
        }
    }

    [Fact]
    public async Task Github_signature_verifies()
    {
        var path = Path();
        const string secret = "github-secret-0123456789";
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 200), "github", secret);
        var jobId = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "success");

        var r = Assert.Single(_receiver.To(path));
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var expected = "sha256=" + string.Concat(hmac.ComputeHash(Encoding.UTF8.GetBytes(r.Body)).Select(b => b.ToString("x2")));
        Assert.Equal(expected, r.Headers["X-Hub-Signature-256"]);
    }

    [Fact]
    public async Task Jodoo_signature_verifies()
    {
        var path = Path();
        const string secret = "jodoo-secret-0123456789";
        var webhook = await factory.CreateWebhookAsync(_receiver.Status(path, 200), "jodoo", secret);
        var jobId = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "success");

        var r = Assert.Single(_receiver.To(path));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(r.Query);
        var nonce = query["nonce"].ToString();
        var timestamp = query["timestamp"].ToString();
        Assert.False(string.IsNullOrEmpty(nonce));
        // Spec: lowercase hex SHA-1 of "nonce:body:secret:timestamp".
        var expected = string.Concat(SHA1.HashData(Encoding.UTF8.GetBytes($"{nonce}:{r.Body}:{secret}:{timestamp}")).Select(b => b.ToString("x2")));
        Assert.Equal(expected, r.Headers["X-JDY-Signature"]);
        Assert.Equal(jobId.ToString(), r.Headers["X-JDY-DeliverId"]);
    }

}

/// <summary>DeliveryTests on SQLite.</summary>
public sealed class DeliveryTestsOnSqlite(DeliveryFactory factory) : DeliveryTests<DeliveryFactory>(factory);

/// <summary>DeliveryTests on PostgreSQL.</summary>
public sealed class DeliveryTestsOnPostgres(PostgresDeliveryFactory factory) : DeliveryTests<PostgresDeliveryFactory>(factory);
