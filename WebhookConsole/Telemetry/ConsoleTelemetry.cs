using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace WebhookConsole.Telemetry;

/// <summary>
/// The console's own instruments and trace source, all named <c>webhookconsole.*</c> (Prometheus: <c>webhookconsole_*</c>).
/// Labels never carry a URL, a body, a header or a secret: webhook ids at most, and names from closed sets (event
/// types and actions of the catalog, outcomes, error kinds). Recording costs nothing measurable while no exporter
/// listens (Metrics:Enabled false, no OTLP endpoint).
/// </summary>
public static class ConsoleTelemetry
{
    public const string Name = "WebhookConsole";

    public static readonly Meter Meter = new(Name, "1.0");
    public static readonly ActivitySource Source = new(Name, "1.0");

    /// <summary>Events posted to the API: <c>type</c>, <c>action</c> (<c>unknown</c> for a rejected event), <c>outcome</c> (accepted, duplicate, rejected).</summary>
    public static readonly Counter<long> EventsReceived = Meter.CreateCounter<long>("webhookconsole.events.received", "{event}",
        "Events posted to the console's API, by type, action and outcome.");

    /// <summary>Attempts recorded: <c>outcome</c> (succeeded, received, failed, retry), <c>error_kind</c> (none, http, timeout, …).</summary>
    public static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("webhookconsole.deliveries", "{attempt}",
        "Delivery attempts recorded, by what they led to and why they failed.");

    public static readonly Histogram<double> AttemptDuration = Meter.CreateHistogram<double>("webhookconsole.attempt.duration", "s",
        "How long one HTTP attempt took, from sending to the end of the response.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    public static readonly Histogram<double> DeliveryLatency = Meter.CreateHistogram<double>("webhookconsole.delivery.latency", "s",
        "From the event's arrival (the job's creation) to the attempt that delivered it, retries included.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 1800, 7200, 36000] });

    /// <summary>Filters and URL templates that failed: <c>kind</c> (runtime, timeout, statementlimit, memorylimit, recursionlimit, syntax, template).</summary>
    public static readonly Counter<long> FilterErrors = Meter.CreateCounter<long>("webhookconsole.filter.errors", "{error}",
        "Filter and URL template evaluations that failed, timed out or hit a sandbox limit.");

    /// <summary>
    /// The backlog gauges read what the running console registered (<see cref="ObserveBacklog"/>): on this meter and
    /// not on one per host, because disposing a meter stops every OpenTelemetry stream of the meters with its name
    /// (open-telemetry/opentelemetry-dotnet#6412) — a host stopping in a test process took another's gauges away.
    /// </summary>
    private static volatile Func<(long Pending, double OldestDueAgeSeconds)>? s_backlog;

    public static readonly ObservableGauge<long> JobsPending = Meter.CreateObservableGauge("webhookconsole.jobs.pending",
        () => s_backlog?.Invoke().Pending ?? 0, "{job}", "Jobs waiting for an attempt (Pending), disabled webhooks' included.");

    public static readonly ObservableGauge<double> OldestDueAge = Meter.CreateObservableGauge("webhookconsole.jobs.oldest_due_age",
        () => s_backlog?.Invoke().OldestDueAgeSeconds ?? 0, "s", "How long the oldest due delivery of an enabled webhook has waited.");

    /// <summary>Where the backlog gauges read from (the console's last reading); returns what takes it back.</summary>
    public static IDisposable ObserveBacklog(Func<(long Pending, double OldestDueAgeSeconds)> read)
    {
        s_backlog = read;
        return new Unregister(read);
    }

    private sealed class Unregister(Func<(long, double)> read) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref s_backlog, null, read);
    }

    /// <summary>The label value for an enum: lower case, as the API writes it.</summary>
    public static string Label<T>(T value) where T : struct, Enum => Labels<T>.Of(value);

    private static class Labels<T> where T : struct, Enum
    {
        private static readonly Dictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v, v => v.ToString().ToLowerInvariant());

        public static string Of(T value) => Names.TryGetValue(value, out var name) ? name : value.ToString().ToLowerInvariant();
    }
}
