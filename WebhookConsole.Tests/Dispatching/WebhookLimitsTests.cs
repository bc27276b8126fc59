using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>The limiter's decisions, on their own.</summary>
public class WebhookLimiterTests
{
    private static readonly DateTime T0 = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

    private static Webhook Hook(int rate = 0, int concurrent = 0) => new() { Id = Guid.NewGuid(), MaxDeliveriesPerSecond = rate, MaxConcurrentDeliveries = concurrent };

    [Fact]
    public void A_rate_spaces_sends_and_a_job_keeps_the_token_it_was_given()
    {
        var limiter = new WebhookLimiter();
        var w = Hook(rate: 10);
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        Assert.True(limiter.TryStart(a, w, T0).Allowed);
        var second = limiter.TryStart(b, w, T0);
        Assert.Equal(T0.AddMilliseconds(100), second.RetryAt);
        Assert.Equal(T0.AddMilliseconds(200), limiter.TryStart(c, w, T0).RetryAt);
        // When b comes due at its time, its token is waiting for it.
        Assert.True(limiter.TryStart(b, w, T0.AddMilliseconds(100)).Allowed);
    }

    [Fact]
    public void At_the_concurrency_limit_a_job_waits_for_a_send_to_end_and_other_webhooks_do_not()
    {
        var limiter = new WebhookLimiter();
        var w = Hook(concurrent: 1);
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.True(limiter.TryStart(a, w, T0).Allowed);
        var parked = limiter.TryStart(b, w, T0);
        Assert.False(parked.Allowed);
        Assert.Null(parked.RetryAt);
        Assert.True(limiter.TryStart(Guid.NewGuid(), Hook(), T0).Allowed);
        Assert.Equal(b, limiter.Ended(w.Id, T0));
        Assert.True(limiter.TryStart(b, w, T0).Allowed);
        Assert.Null(limiter.Ended(w.Id, T0));
    }

    [Fact]
    public void Retry_after_holds_every_job_of_the_webhook_until_then()
    {
        var limiter = new WebhookLimiter();
        var w = Hook();
        limiter.SlowDown(w.Id, T0.AddSeconds(5));
        Assert.Equal(T0.AddSeconds(5), limiter.TryStart(Guid.NewGuid(), w, T0.AddSeconds(1)).RetryAt);
        Assert.True(limiter.TryStart(Guid.NewGuid(), w, T0.AddSeconds(5)).Allowed);
        Assert.True(limiter.TryStart(Guid.NewGuid(), Hook(), T0).Allowed); // another webhook
        // The job that got the 429 is due at its own Retry-After time: the pause does not hold it a second time.
        limiter.SlowDown(w.Id, T0.AddSeconds(20));
        Assert.True(limiter.TryStart(Guid.NewGuid(), w, T0.AddSeconds(10), ownRetryAfter: true).Allowed);
    }
}

/// <summary>Per-webhook limits at real receivers: a fragile one is not flooded, and the others are not held up.</summary>
public class WebhookLimitsTests(DeliveryFactory factory) : IClassFixture<DeliveryFactory>, IAsyncLifetime
{
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private async Task<WebhookView> CreateAsync(string url, int rate = 0, int concurrent = 0)
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var response = await api.PostAsJsonAsync("/api/v1/webhooks", new JsonObject
        {
            ["name"] = "Limited " + Guid.NewGuid().ToString("N")[..8], ["scope"] = "Kapp", ["kapp"] = "k" + Guid.NewGuid().ToString("N")[..10],
            ["type"] = "Submission", ["event"] = "Submitted", ["url"] = url, ["signing"] = new JsonObject { ["scheme"] = "none" },
            ["maxDeliveriesPerSecond"] = rate, ["maxConcurrentDeliveries"] = concurrent, ["timeoutSeconds"] = 5,
        });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(rate, body["maxDeliveriesPerSecond"]!.GetValue<int>());
        return (await factory.Service<WebhookService>().GetAsync(Guid.Parse(body["id"]!.GetValue<string>()), Actor.System))!;
    }

    [Fact]
    public async Task At_most_the_set_number_at_once_while_an_unlimited_webhook_goes_at_full_speed()
    {
        var inFlight = 0;
        var most = 0;
        var slow = _receiver.On("/one-at-a-time", async (ctx, _) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await Task.Delay(150);
            Interlocked.Decrement(ref inFlight);
            ctx.Response.StatusCode = 200;
        });
        var limited = await CreateAsync(slow, concurrent: 1);
        var free = await CreateAsync(_receiver.Status("/free", 200));

        var limitedJobs = new List<Guid>();
        var freeJobs = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            limitedJobs.Add(await factory.FireAsync(limited));
            freeJobs.Add(await factory.FireAsync(free));
        }
        var started = DateTime.UtcNow;
        foreach (var id in freeJobs) await factory.WaitForJobAsync(id, j => j.Status == JobStatus.Succeeded, "the unlimited webhook's deliveries");
        var freeDone = DateTime.UtcNow - started;
        foreach (var id in limitedJobs)
        {
            var job = await factory.WaitForJobAsync(id, j => j.Status == JobStatus.Succeeded, "the limited webhook's deliveries");
            Assert.Equal(1, job.AttemptCount); // waited its turn; never failed
        }
        Assert.Equal(1, most);
        // Six sends of 150 ms one at a time take about 0.9 s; the free webhook did not wait behind them.
        Assert.True(freeDone < TimeSpan.FromSeconds(0.8), $"the unlimited webhook took {freeDone.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task A_rate_limit_spaces_the_deliveries()
    {
        var arrivals = new ConcurrentQueue<DateTime>();
        var url = _receiver.On("/paced", (ctx, _) =>
        {
            arrivals.Enqueue(DateTime.UtcNow);
            ctx.Response.StatusCode = 200;
            return Task.CompletedTask;
        });
        var limited = await CreateAsync(url, rate: 5);
        var jobs = new List<Guid>();
        for (var i = 0; i < 10; i++) jobs.Add(await factory.FireAsync(limited));
        foreach (var id in jobs) await factory.WaitForJobAsync(id, j => j.Status == JobStatus.Succeeded, "the paced deliveries");
        var times = arrivals.OrderBy(t => t).ToList();
        Assert.Equal(10, times.Count);
        // Ten at 5 a second: nine gaps of 200 ms.
        var span = times[^1] - times[0];
        Assert.True(span >= TimeSpan.FromSeconds(1.5), $"10 deliveries at 5/s arrived within {span.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task A_limit_set_by_a_later_change_applies_to_events_posted_in_a_batch()
    {
        var arrivals = new ConcurrentQueue<DateTime>();
        var url = _receiver.On("/paced-later", (ctx, _) =>
        {
            arrivals.Enqueue(DateTime.UtcNow);
            ctx.Response.StatusCode = 200;
            return Task.CompletedTask;
        });
        var webhook = await CreateAsync(url);
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage, ApiScopes.EventsWrite);
        var put = await api.PutAsJsonAsync($"/api/v1/webhooks/{webhook.Id}", new { maxDeliveriesPerSecond = 5 });
        Assert.Equal(5, JsonNode.Parse(await put.Content.ReadAsStringAsync())!["maxDeliveriesPerSecond"]!.GetValue<int>());
        var batch = Enumerable.Range(0, 10).Select(i => new { type = "Submission", action = "Submitted", kapp = webhook.Kapp, context = new { submission = new { values = new { N = i } } } });
        (await api.PostAsJsonAsync("/api/v1/events/batch", batch)).EnsureSuccessStatusCode();
        await Eventually.WaitAsync(() => Task.FromResult(arrivals.Count), n => n >= 10, TimeSpan.FromSeconds(20), "ten deliveries");
        var times = arrivals.OrderBy(t => t).ToList();
        Assert.True(times[^1] - times[0] >= TimeSpan.FromSeconds(1.5), $"10 deliveries at 5/s arrived within {(times[^1] - times[0]).TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task Retry_after_on_a_503_pauses_the_whole_webhook()
    {
        var arrivals = new ConcurrentQueue<DateTime>();
        var url = _receiver.On("/busy", (ctx, n) =>
        {
            arrivals.Enqueue(DateTime.UtcNow);
            if (n == 1)
            {
                ctx.Response.StatusCode = 503;
                ctx.Response.Headers.RetryAfter = "2";
            }
            else ctx.Response.StatusCode = 200;
            return Task.CompletedTask;
        });
        var limited = await CreateAsync(url, concurrent: 1);
        var jobs = new List<Guid>();
        for (var i = 0; i < 3; i++) jobs.Add(await factory.FireAsync(limited));
        foreach (var id in jobs) await factory.WaitForJobAsync(id, j => j.Status == JobStatus.Succeeded, "the webhook's deliveries after the pause");
        var times = arrivals.OrderBy(t => t).ToList();
        // The first got 503 with Retry-After: 2; nothing else of the webhook went out for those 2 seconds.
        Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(1.8), $"the next delivery came {(times[1] - times[0]).TotalSeconds:0.00} s after the 503");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
