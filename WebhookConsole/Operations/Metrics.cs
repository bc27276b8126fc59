using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using WebhookConsole.Data;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Telemetry;

namespace WebhookConsole.Operations;

/// <summary>The <c>Metrics</c> section.</summary>
public sealed class MetricsOptions
{
    /// <summary>Serve <c>/metrics</c> (Prometheus text).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>CIDRs allowed to scrape <c>/metrics</c>; empty: any client. Others get 404.</summary>
    public string[] AllowedNetworks { get; set; } = [];
}

/// <summary>
/// OpenTelemetry: the console's instruments (<see cref="ConsoleTelemetry"/>), ASP.NET Core, HttpClient and runtime
/// metrics, at <c>/metrics</c> for Prometheus and, when <c>OpenTelemetry:OtlpEndpoint</c> is set, pushed over OTLP with
/// the traces (an event's request, and each attempt that delivers it: <c>DeliverySender</c>).
/// </summary>
public static class Metrics
{
    public const string Path = "/metrics";

    private static readonly string[] HttpClientTags = ["http.request.method", "http.response.status_code", "error.type", "network.protocol.version", "url.scheme", "http.connection.state"];

    public static IHostApplicationBuilder AddConsoleTelemetry(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Metrics");
        builder.Services.Configure<MetricsOptions>(section);
        var options = section.Get<MetricsOptions>() ?? new MetricsOptions();
        var otlp = builder.Configuration["OpenTelemetry:OtlpEndpoint"];
        if (!options.Enabled && string.IsNullOrWhiteSpace(otlp)) return builder;

        // Checked at start: a typo in a network list must not open (or close) the endpoint silently.
        foreach (var network in options.AllowedNetworks)
        {
            if (!IPNetwork.TryParse(network, out _)) throw new InvalidOperationException($"Metrics:AllowedNetworks: '{network}' is not a CIDR such as 10.0.0.0/8.");
        }
        builder.Services.AddSingleton<BacklogGauges>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BacklogGauges>());
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("webhookconsole", serviceInstanceId: DatabaseSettings.ProcessName))
            .WithMetrics(m =>
            {
                m.AddMeter(ConsoleTelemetry.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation()
                    // HttpClient's own metrics would name every receiver's host, port and address: labels carry no URL part.
                    // Of HttpClient's instruments, the request duration (which counts requests too) is kept; the connection
                    // and queue gauges cost a measurement or two per delivery and say little a delivery's own series do not.
                    .AddView(i => i.Meter.Name != "System.Net.Http" ? null
                        : i.Name == "http.client.request.duration" ? new MetricStreamConfiguration { TagKeys = HttpClientTags }
                        : MetricStreamConfiguration.Drop);
                if (options.Enabled) m.AddPrometheusExporter();
                if (!string.IsNullOrWhiteSpace(otlp)) m.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
            });
        if (!string.IsNullOrWhiteSpace(otlp))
        {
            telemetry.WithTracing(t => t
                .AddSource(ConsoleTelemetry.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/_blazor") && !c.Request.Path.StartsWithSegments(Path))
                // A delivery's URL may carry a token in its query (templates): the span keeps scheme, host and path.
                .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = (activity, request) =>
                {
                    if (request.RequestUri is { } uri) activity.SetTag("url.full", uri.GetLeftPart(UriPartial.Path));
                })
                .AddOtlpExporter(o => o.Endpoint = new Uri(otlp)));
        }
        return builder;
    }

    public static WebApplication MapConsoleMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!options.Enabled) return app;
        var allowed = options.AllowedNetworks.Select(n => IPNetwork.Parse(n)).ToList();
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use((context, next) =>
        {
            if (MayScrape(context.Connection.RemoteIpAddress, allowed)) return next(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }), optionsName: null).AllowAnonymous();
        return app;
    }

    /// <summary>Any client when no network is listed; otherwise only a client inside one (an IPv4 client seen over IPv6 as itself).</summary>
    internal static bool MayScrape(IPAddress? client, IReadOnlyList<IPNetwork> allowed) =>
        allowed.Count == 0 || (client is not null && allowed.Any(n => n.Contains(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client)));
}

/// <summary>
/// <c>webhookconsole.jobs.pending</c> and <c>webhookconsole.jobs.oldest_due_age</c>: read from the database every
/// 10 s (two reads of the partial Pending index), so a scrape never waits for the database.
/// </summary>
internal sealed class BacklogGauges : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly Microsoft.EntityFrameworkCore.IDbContextFactory<AppDbContext> _dbFactory;
    private readonly TimeProvider _time;
    private readonly ILogger<BacklogGauges> _logger;
    private readonly IDisposable _observed;
    private volatile BacklogSnapshot? _last;

    public BacklogGauges(Microsoft.EntityFrameworkCore.IDbContextFactory<AppDbContext> dbFactory, TimeProvider time, ILogger<BacklogGauges> logger)
    {
        (_dbFactory, _time, _logger) = (dbFactory, time, logger);
        // One console per process in production; where a test process runs several, the gauges read the latest.
        _observed = ConsoleTelemetry.ObserveBacklog(() => (_last?.Pending ?? 0, _last?.OldestDueAge(_time.GetUtcNow().UtcDateTime).TotalSeconds ?? 0));
    }

    /// <summary>Reads the backlog now (the first read, and tests).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        _last = await Backlog.ReadAsync(db, _time.GetUtcNow().UtcDateTime, ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "The backlog gauges could not read the database; trying again in {Interval}.", Interval);
            }
            try
            {
                await Task.Delay(Interval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _observed.Dispose();
        base.Dispose();
    }
}
