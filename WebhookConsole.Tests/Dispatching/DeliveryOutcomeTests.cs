using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>What one attempt's answer means for its job: the retry schedule, jitter, Retry-After, 410, doForms bodies.</summary>
public class DeliveryOutcomeTests
{
    private static readonly int[] Delays = [0, 5, 300, 1800];

    private static SendResult Answer(int? status, string? body = null, TimeSpan? retryAfter = null, AttemptErrorKind? error = null) =>
        new(DateTime.UtcNow, 12, "https://receiver.example/hook", [], "{}", status, [], body, body?.Length ?? 0,
            error ?? (status is >= 200 and < 300 ? null : AttemptErrorKind.Http), error is null ? null : "connection refused", retryAfter);

    private static DeliveryOutcome Decide(SendResult r, int attempt = 1, double jitter = 0, bool asyncAck = false, bool isTest = false, Random? random = null) =>
        DeliveryOutcome.Decide(r, asyncAck, attempt, Delays, jitter, maxRetryAfterSeconds: 600, isTest, random);

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 300)]
    [InlineData(3, 1800)]
    public void A_failure_waits_the_schedules_next_delay(int attempt, int seconds)
    {
        var o = Decide(Answer(500), attempt);
        Assert.Equal(JobStatus.Pending, o.Status);
        Assert.Equal(TimeSpan.FromSeconds(seconds), o.RetryIn);
        Assert.True(o.DeliveryFailed);
        Assert.Equal("500 Internal Server Error", o.Summary);
    }

    [Fact]
    public void After_the_last_delay_the_job_fails_and_says_how_many_attempts_it_made()
    {
        var o = Decide(Answer(503), attempt: Delays.Length);
        Assert.Equal(JobStatus.Failed, o.Status);
        Assert.Null(o.RetryIn);
        Assert.Equal("503 Service Unavailable · gave up after 4 attempts", o.Summary);
    }

    [Fact]
    public void Jitter_adds_up_to_its_fraction_of_the_delay_and_never_shortens_it()
    {
        var random = new Random(7);
        var waits = Enumerable.Range(0, 2_000).Select(_ => Decide(Answer(500), attempt: 2, jitter: 0.1, random: random).RetryIn!.Value.TotalSeconds).ToList();
        Assert.All(waits, w => Assert.InRange(w, 300, 330));
        Assert.True(waits.Max() - waits.Min() > 25, "the jitter spreads retries over most of its range");
    }

    [Fact]
    public void Retry_after_on_429_and_503_lengthens_the_wait_up_to_the_cap()
    {
        Assert.Equal(TimeSpan.FromSeconds(120), Decide(Answer(429, retryAfter: TimeSpan.FromSeconds(120))).RetryIn);
        Assert.Equal(TimeSpan.FromSeconds(600), Decide(Answer(503, retryAfter: TimeSpan.FromHours(5))).RetryIn);
        // Never shorter than the schedule, and only 429 and 503 carry it.
        Assert.Equal(TimeSpan.FromSeconds(300), Decide(Answer(503, retryAfter: TimeSpan.FromSeconds(1)), attempt: 2).RetryIn);
        Assert.Equal(TimeSpan.FromSeconds(5), Decide(Answer(500, retryAfter: TimeSpan.FromSeconds(120))).RetryIn);
    }

    [Fact]
    public void A_410_fails_the_job_and_asks_for_the_webhook_to_be_disabled()
    {
        var o = Decide(Answer(410));
        Assert.Equal(JobStatus.Failed, o.Status);
        Assert.True(o.WebhookGone);
        Assert.Null(o.RetryIn);
    }

    [Fact]
    public void A_test_delivery_is_never_retried()
    {
        var o = Decide(Answer(500), isTest: true);
        Assert.Equal(JobStatus.Failed, o.Status);
        Assert.Null(o.RetryIn);
    }

    [Fact]
    public void A_connection_error_is_retried_like_a_5xx()
    {
        var o = Decide(Answer(null, error: AttemptErrorKind.Connection));
        Assert.Equal(JobStatus.Pending, o.Status);
        Assert.Equal(TimeSpan.FromSeconds(5), o.RetryIn);
        Assert.Equal("connection refused", o.Summary);
    }

    [Theory]
    [InlineData("{\"status\":\"completed\"}", JobStatus.Succeeded, "200 OK · completed")]
    [InlineData("{\"status\":\"FAILED\",\"message\":\"room unknown\"}", JobStatus.Failed, "200 OK · receiver reported failed")]
    [InlineData("{\"status\":\"queued\"}", JobStatus.Succeeded, "200 OK")]
    [InlineData("{\"status\":", JobStatus.Succeeded, "200 OK")]
    [InlineData("[\"completed\"]", JobStatus.Succeeded, "200 OK")]
    public void A_2xx_body_may_report_the_outcome_doForms_style(string body, JobStatus status, string summary)
    {
        var o = Decide(Answer(200, body));
        Assert.Equal(status, o.Status);
        Assert.Equal(summary, o.Summary);
        Assert.Null(o.RetryIn);
        Assert.False(o.DeliveryFailed);
    }

    [Fact]
    public void An_empty_2xx_to_an_async_webhook_waits_for_the_callback()
    {
        Assert.Equal(JobStatus.Received, Decide(Answer(202), asyncAck: true).Status);
        Assert.Equal(JobStatus.Succeeded, Decide(Answer(202, "{\"ok\":true}"), asyncAck: true).Status);
        Assert.Equal(JobStatus.Succeeded, Decide(Answer(202)).Status);
    }
}
