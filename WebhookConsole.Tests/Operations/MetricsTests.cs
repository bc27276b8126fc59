using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data.Entities;
using WebhookConsole.Operations;
using WebhookConsole.Tests.Dispatching;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Operations;

/// <summary>/metrics after real deliveries: the console's series are there, with labels that carry no URL or secret.</summary>
public class MetricsTests(DeliveryFactory factory) : IClassFixture<DeliveryFactory>, IAsyncLifetime
{
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    /// <summary>The sum of the series of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; null when there is none.</summary>
    private static double? Value(string scrape, string name, params string[] labels)
    {
        double? sum = null;
        foreach (Match m in Regex.Matches(scrape, $@"^{Regex.Escape(name)}(\{{[^}}]*\}})? (\S+)", RegexOptions.Multiline))
        {
            if (labels.All(l => m.Groups[1].Value.Contains(l))) sum = (sum ?? 0) + double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return sum;
    }

    [Fact]
    public async Task A_scrape_after_deliveries_has_the_consoles_series_and_no_url_or_secret()
    {
        const string secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var ok = await factory.CreateWebhookAsync(_receiver.Status("/ok", 200), "standard", secret);
        var failing = await factory.CreateWebhookAsync(_receiver.Status("/down", 500) + "?token=sekrit-in-query");
        var scraper = factory.CreateClient();
        var before = await scraper.GetStringAsync("/metrics");

        var delivered = await factory.FireAsync(ok);
        await factory.WaitForJobAsync(delivered, j => j.Status == JobStatus.Succeeded, "the delivery");
        var failed = await factory.FireAsync(failing);
        await factory.WaitForJobAsync(failed, j => j.Status == JobStatus.Failed, "the failing delivery to use its schedule");
        // An event that is not valid is counted as rejected.
        var api = await factory.CreateApiClientAsync(WebhookConsole.Security.ApiScopes.EventsWrite);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync("/api/v1/events", new { type = "Nope", action = "Never" })).StatusCode);
        await factory.Services.GetRequiredService<BacklogGauges>().RefreshAsync(default);

        // The same attempts in the per-minute counts behind the charts, written by the recorder.
        var stats = factory.Services.GetRequiredService<WebhookConsole.Features.Overview.DeliveryStats>();
        var hour = WebhookConsole.Features.Overview.ChartRange.LastHour;
        var okBars = await stats.BucketsAsync(WebhookConsole.Security.Actor.System, hour, ok.Id);
        Assert.Equal((1, 0, 0), (okBars.Sum(b => b.Succeeded), okBars.Sum(b => b.Failed), okBars.Sum(b => b.Retried)));
        var failingBars = await stats.BucketsAsync(WebhookConsole.Security.Actor.System, hour, failing.Id);
        Assert.Equal((0, 1, 2), (failingBars.Sum(b => b.Succeeded), failingBars.Sum(b => b.Failed), failingBars.Sum(b => b.Retried)));

        var response = await scraper.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var scrape = await response.Content.ReadAsStringAsync();

        double Grew(string name, params string[] labels) => (Value(scrape, name, labels) ?? 0) - (Value(before, name, labels) ?? 0);
        Assert.True(Grew("webhookconsole_deliveries_total", "outcome=\"succeeded\"", "error_kind=\"none\"") >= 1, scrape);
        // Three attempts on the test schedule (0, 1, 1 s): two retries, then the job failed.
        Assert.True(Grew("webhookconsole_deliveries_total", "outcome=\"retry\"", "error_kind=\"http\"") >= 2, scrape);
        Assert.True(Grew("webhookconsole_deliveries_total", "outcome=\"failed\"", "error_kind=\"http\"") >= 1, scrape);
        Assert.True(Grew("webhookconsole_events_received_total", "type=\"Submission\"", "action=\"Submitted\"", "outcome=\"accepted\"") >= 2, scrape);
        Assert.True(Grew("webhookconsole_events_received_total", "outcome=\"rejected\"") >= 1, scrape);
        Assert.True(Grew("webhookconsole_attempt_duration_seconds_count") >= 4, scrape);
        Assert.True(Grew("webhookconsole_delivery_latency_seconds_count") >= 1, scrape);
        Assert.NotNull(Value(scrape, "webhookconsole_jobs_pending"));
        Assert.NotNull(Value(scrape, "webhookconsole_jobs_oldest_due_age_seconds"));
        // ASP.NET Core's and the runtime's own, beside ours.
        Assert.Contains("http_server_request_duration_seconds", scrape);
        Assert.Contains("dotnet_gc_collections_total", scrape);

        // No receiver's address in any label. (Kestrel's series name the address a server listens on: the console's
        // own, and in this test process also the receiver's, a Kestrel in the same process.)
        var labels = string.Join('\n', scrape.Split('\n').Where(l => !l.StartsWith("kestrel_", StringComparison.Ordinal)));
        Assert.DoesNotContain("127.0.0.1", labels);
        Assert.DoesNotContain("sekrit", scrape);
        Assert.DoesNotContain("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", scrape);
        Assert.DoesNotContain(ok.Kapp!, scrape);
    }

    /// <summary>
    /// Each console once made its backlog gauges on a meter of its own named like the console's; disposing a meter
    /// stops every OpenTelemetry stream of the meters with that name (open-telemetry/opentelemetry-dotnet#6412), so a
    /// console stopping in the same process took the other's gauges away (a CI run lost them mid-test).
    /// </summary>
    [Fact]
    public async Task Another_console_stopping_in_the_same_process_leaves_this_ones_series()
    {
        // The other console starts first, so its instruments are there when this one's metrics begin to listen.
        var other = new SettingsFactory();
        Assert.Equal(HttpStatusCode.OK, (await other.CreateClient().GetAsync("/health/live")).StatusCode);
        await using var console = new SettingsFactory();
        var scraper = console.CreateClient();
        await console.Services.GetRequiredService<BacklogGauges>().RefreshAsync(default);
        Assert.NotNull(Value(await scraper.GetStringAsync("/metrics"), "webhookconsole_jobs_pending"));

        await other.DisposeAsync();
        await Task.Delay(500); // past any cached scrape
        var scrape = await scraper.GetStringAsync("/metrics");
        Assert.NotNull(Value(scrape, "webhookconsole_jobs_pending"));
        Assert.NotNull(Value(scrape, "webhookconsole_jobs_oldest_due_age_seconds"));
    }

    [Fact]
    public void Only_listed_networks_may_scrape_when_networks_are_listed()
    {
        var lan = new[] { IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fd00::/8") };
        Assert.True(Metrics.MayScrape(IPAddress.Parse("203.0.113.9"), []));
        Assert.True(Metrics.MayScrape(IPAddress.Parse("10.1.2.3"), lan));
        Assert.True(Metrics.MayScrape(IPAddress.Parse("::ffff:10.1.2.3"), lan));
        Assert.True(Metrics.MayScrape(IPAddress.Parse("fd12::1"), lan));
        Assert.False(Metrics.MayScrape(IPAddress.Parse("11.0.0.1"), lan));
        Assert.False(Metrics.MayScrape(IPAddress.Parse("::ffff:192.168.1.1"), lan));
        Assert.False(Metrics.MayScrape(null, lan));
    }

    [Fact]
    public async Task A_console_with_a_network_list_refuses_others_and_one_with_metrics_off_has_no_endpoint()
    {
        await using var listed = new SettingsFactory(("Metrics:AllowedNetworks:0", "10.0.0.0/8"));
        Assert.Equal(HttpStatusCode.NotFound, (await listed.CreateClient().GetAsync("/metrics")).StatusCode);
        await using var off = new SettingsFactory(("Metrics:Enabled", "false"));
        var response = await off.CreateClient().GetAsync("/metrics");
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("webhookconsole_", await response.Content.ReadAsStringAsync());
    }

    private sealed class SettingsFactory(params (string Key, string Value)[] settings) : ConsoleFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        }
    }
}
