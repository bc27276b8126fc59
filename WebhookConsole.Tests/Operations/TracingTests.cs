using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;
using WebhookConsole.Telemetry;
using WebhookConsole.Tests.Dispatching;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Operations;

/// <summary>A trace follows an event from its POST to the attempt that delivers it (what an OTLP collector would get).</summary>
public class TracingTests(DeliveryFactory factory) : IClassFixture<DeliveryFactory>
{
    [Fact]
    public async Task The_attempt_span_is_a_child_of_the_request_that_posted_the_event()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is ConsoleTelemetry.Name or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        await using var receiver = await Receiver.StartAsync();
        var webhook = await factory.CreateWebhookAsync(receiver.Status("/traced", 200));
        var events = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        var reply = await events.PostAsJsonAsync("/api/v1/events", new { type = "Submission", action = "Submitted", kapp = webhook.Kapp, context = new { submission = new { values = new { Room = "B12" } } } });
        var jobId = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["jobs"]![0]!["id"]!.GetValue<string>();
        await factory.WaitForJobAsync(Guid.Parse(jobId), j => j.Status == JobStatus.Succeeded, "the delivery");

        var attempt = (await Eventually.WaitAsync(() => Task.FromResult(stopped.FirstOrDefault(a => a.OperationName == "webhook attempt" && (string?)a.GetTagItem("webhookconsole.job.id") == jobId)),
            a => a is not null, TimeSpan.FromSeconds(5), "the attempt's span"))!;
        // Its parent is the console's handling of the POST; the trace goes on to the receiver (traceparent on the delivery).
        var parent = stopped.Single(a => a.SpanId == attempt.ParentSpanId);
        Assert.Equal("Microsoft.AspNetCore", parent.Source.Name);
        Assert.Equal(ActivityKind.Server, parent.Kind);
        Assert.Contains(stopped, a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == attempt.TraceId && a.SpanId != parent.SpanId && a.StartTimeUtc >= attempt.StartTimeUtc);
        Assert.Equal(webhook.Id.ToString(), attempt.GetTagItem("webhookconsole.webhook.id"));
        Assert.Equal(200, attempt.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Ok, attempt.Status);
    }
}
