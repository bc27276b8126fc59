using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebhookConsole.Bench;

// Measures the console against this machine's own limit, in one run, so the ratios hold on a noisy machine.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
var root = FindRoot();
var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
var appDll = Path.Combine(root, "WebhookConsole", "bin", configuration, "net10.0", "WebhookConsole.dll");
if (!File.Exists(appDll))
{
    Console.Error.WriteLine($"The console's build is missing: {appDll}. Run with `dotnet run -c Release --project bench/WebhookConsole.Bench`.");
    return 1;
}
if (configuration != "Release") Console.Error.WriteLine($"Warning: this is a {configuration} build; figures are only comparable in Release.");
var outFile = Path.GetFullPath(options.Out is { Length: > 0 } o ? o : Path.Combine(root, "bench", "results", "latest.json"));
var work = Directory.CreateTempSubdirectory("wc-bench-");
var database = options.Database is { Length: > 0 } reuse ? reuse : Path.Combine(work.FullName, "console.db");
var total = Stopwatch.StartNew();
void Step(string what) => Console.WriteLine($"[{total.Elapsed:mm\\:ss}] {what}");

Step($"{Environment.ProcessorCount} cores, commit {Commit(root)}, {(options.Quick ? "quick" : "full")} run; data in {work.FullName}");
await using var receiver = await BenchReceiver.StartAsync();

Step("(1) ceiling: bare HttpClient → receiver, 64 at once");
var ceiling = options.Runs("ceiling") ? await Parts.CeilingAsync(receiver, options.CeilingSeconds) : double.NaN;
Step($"    {ceiling:N0} requests/s");

Step("(5) filters: one thread");
var filters = options.Runs("filters") ? Parts.Filters(options.FilterSeconds) : double.NaN;
Step($"    {filters:N0} evaluations/s");

EndToEndResult e2e = new(double.NaN, 0, 0, 0, 0, double.NaN);
LatencyResult latency = new(double.NaN, double.NaN, double.NaN, 0, 0);
double single = double.NaN, batch = double.NaN;
if (options.Runs("ingest") || options.Runs("e2e") || options.Runs("latency") || (options.Runs("console") && !File.Exists(database)))
{
    await using var app = await ConsoleProcess.StartAsync(appDll, database, FreePort());
    if (options.WarmUpSeconds > 0)
    {
        Step($"warm-up: {options.WarmUpSeconds} s of single events, batches and deliveries (not measured)");
        await Parts.WarmUpAsync(app, receiver, options.WarmUpSeconds);
    }
    if (options.Runs("ingest"))
    {
        Step("(4) ingestion alone (no webhook listens)");
        single = await Parts.IngestSingleAsync(app, options.IngestSeconds);
        Step($"    single: {single:N0} events/s");
        batch = await Parts.IngestBatchAsync(app, options.Quick ? 20_000 : 100_000);
        Step($"    batch:  {batch:N0} events/s");
    }

    if (options.Runs("e2e") || options.Runs("console"))
    {
        Step($"(2) end to end: {options.Deliveries:N0} deliveries, 10 webhooks, 2 fire per event");
        e2e = await Parts.EndToEndAsync(app, receiver, database, options.Deliveries);
        Step($"    {e2e.DeliveriesPerSec:N0} deliveries/s ({e2e.Delivered:N0} delivered, {e2e.Recorded:N0} recorded, {e2e.BadSignatures} bad signatures; ingestion took {e2e.IngestSeconds:N1} s; peak {e2e.PeakMb} MB; console CPU {e2e.ConsoleCpuMsPerDelivery * 1000:N0} µs per delivery)");
    }

    if (options.Runs("latency"))
    {
        Step($"(3) latency: {options.LatencyRate} events/s for {options.LatencySeconds} s, single endpoint");
        latency = await Parts.LatencyAsync(app, receiver, options.LatencyRate, options.LatencySeconds);
        Step($"    p50 {latency.P50} ms, p95 {latency.P95} ms, p99 {latency.P99} ms ({latency.Arrived:N0} of {latency.Sent:N0} arrived)");
    }
    foreach (var line in app.Errors) Console.WriteLine($"    console: {line}");
}

var console = new ConsoleResult(double.NaN, double.NaN, double.NaN, double.NaN, 0, double.NaN, 0, double.NaN, 0);
if (options.Runs("console"))
{
    Step($"(6) console at scale: {options.ConsoleJobs:N0} jobs");
    console = await ConsoleAtScale.RunAsync(database, options.ConsoleJobs);
    Step($"    seeded in {console.SeedSeconds:N0} s; {console.Jobs:N0} jobs; search index caught up on {console.IndexedRows:N0} rows in {console.IndexSeconds:N0} s");
    Step($"    All History {console.AllHistoryFirstPage} ms, failures by webhook {console.FailuresByWebhookFirstPage} ms, page 50 {console.Page50} ms, text search {console.TextSearch} ms, inside a word (7-day scan) {console.ScanSearch} ms, overview {console.Overview} ms, a webhook's chart {console.WebhookChart} ms");
}

var retry = new RetryLatenessResult(double.NaN, double.NaN, 0, 0);
var crash = new CrashResult(0, 0, 0, 0);
var limits = new LimitResult(double.NaN, double.NaN, 0, 0, 0);
if (options.Runs("engine"))
{
    var retryJobs = options.Quick ? 500 : 2_000;
    Step($"(7) engine: retry lateness ({retryJobs:N0} deliveries answered 429 with Retry-After: 7, then 200)");
    retry = await EngineParts.RetryLatenessAsync(appDll, work.FullName, FreePort(), retryJobs);
    Step($"    p50 {retry.P50} ms, p99 {retry.P99} ms after due ({retry.Retried:N0} of {retry.Jobs:N0} retried)");
    var limitEvents = options.Quick ? 500 : 1_500;
    Step($"(7) engine: {limitEvents:N0} events, each to a webhook limited to 50/s and to one without a limit");
    limits = await EngineParts.LimitsAsync(appDll, work.FullName, FreePort(), limitEvents, 50);
    Step($"    limited: {limits.LimitedPerSec}/s ({limits.LimitedArrived:N0} of {limits.Events:N0}); unlimited: {limits.FreePerSec}/s ({limits.FreeArrived:N0})");
    Step("(7) engine: SIGKILL halfway through a burst of 5,000 deliveries, restart");
    crash = await EngineParts.CrashDuplicatesAsync(appDll, work.FullName, FreePort(), 5_000);
    Step($"    killed at {crash.KilledAt:N0} arrived, {crash.RecordedAtKill:N0} recorded ({crash.FromJournal:N0} more from the outcome journal at the restart); {crash.Delivered:N0} of {crash.Jobs:N0} delivered, {crash.Twice:N0} twice ({crash.Percent} %)");
}

var soak = new SoakResult(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, 0, double.NaN);
if (options.SoakMinutes > 0 && options.Runs("soak"))
{
    Step($"(8) soak: {options.SoakRate} single events/s for {options.SoakMinutes} min, two webhooks each");
    soak = await EngineParts.SoakAsync(appDll, work.FullName, FreePort(), options.SoakMinutes, options.SoakRate, Step);
    Step($"    working set {soak.StartMb} → {soak.EndMb} MB after warm-up, slope {soak.SlopeMbPerMin} MB/min, peak {soak.PeakMb} MB, {soak.AfterLoadMb} MB 30 s after the load; {soak.Delivered:N0} of {2 * soak.Sent:N0} delivered; POST p99 {soak.P99Ms} ms");
}

// (2) again on PostgreSQL, with each instance count, in the same run as SQLite's so the figures compare.
var postgres = new List<PostgresEndToEndResult>();
ConsoleResult? postgresConsole = null;
if (options.Postgres && options.Runs("e2e"))
{
    Step("(2p) PostgreSQL: a throwaway cluster (.ci/postgres)");
    await using var cluster = await PostgresBench.StartAsync(root);
    foreach (var n in options.Instances)
    {
        Step($"(2p) end to end on PostgreSQL, {n} instance(s): {options.Deliveries:N0} deliveries");
        var r = await cluster.EndToEndAsync(appDll, receiver, n, options.Deliveries, FreePort,
            options.Runs("latency") ? app => Parts.LatencyAsync(app, receiver, options.LatencyRate, options.LatencySeconds) : null);
        postgres.Add(r);
        Step($"    {r.DeliveriesPerSec:N0} deliveries/s ({r.Delivered:N0} delivered, {r.Recorded:N0} recorded, {r.BadSignatures} bad signatures; CPU per delivery: consoles {r.ConsoleCpuMsPerDelivery * 1000:N0} µs, PostgreSQL {r.ServerCpuMsPerDelivery * 1000:N0} µs)");
        if (r.Latency is { } l) Step($"    latency at {options.LatencyRate}/s on one of {n}: p50 {l.P50} ms, p95 {l.P95} ms, p99 {l.P99} ms ({l.Arrived:N0} of {l.Sent:N0} arrived)");
        if (n != options.Instances[0] || !options.Runs("console")) continue;
        // (6) on the database this run filled, as on SQLite.
        Step($"(6p) console at scale on PostgreSQL: {options.ConsoleJobs:N0} jobs");
        postgresConsole = await ConsoleAtScale.RunOnPostgresAsync(r.Database, options.ConsoleJobs);
        Step($"    seeded in {postgresConsole.SeedSeconds:N0} s; {postgresConsole.Jobs:N0} jobs; search index caught up on {postgresConsole.IndexedRows:N0} rows in {postgresConsole.IndexSeconds:N0} s");
        Step($"    All History {postgresConsole.AllHistoryFirstPage} ms, failures by webhook {postgresConsole.FailuresByWebhookFirstPage} ms, page 50 {postgresConsole.Page50} ms, text search {postgresConsole.TextSearch} ms, overview {postgresConsole.Overview} ms, a webhook's chart {postgresConsole.WebhookChart} ms");
    }
}

var results = new JsonObject
{
    ["commit"] = Commit(root),
    ["date"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["cores"] = Environment.ProcessorCount,
    ["quick"] = options.Quick,
    ["deliveries"] = options.Deliveries,
    ["consoleJobs"] = console.Jobs,
    ["ceilingRps"] = Num(Math.Round(ceiling)),
    ["endToEndDeliveriesPerSec"] = Num(Math.Round(e2e.DeliveriesPerSec)),
    ["endToEndRatio"] = Num(Math.Round(e2e.DeliveriesPerSec / ceiling, 3)),
    ["endToEndConsoleCpuMsPerDelivery"] = Num(e2e.ConsoleCpuMsPerDelivery),
    ["diskBytesPerDelivery"] = Num(e2e.DiskBytesPerDelivery),
    ["latencyMs"] = new JsonObject { ["p50"] = Num(latency.P50), ["p95"] = Num(latency.P95), ["p99"] = Num(latency.P99) },
    ["ingestSinglePerSec"] = Num(Math.Round(single)),
    ["ingestBatchPerSec"] = Num(Math.Round(batch)),
    ["filterEvalsPerSec"] = Num(Math.Round(filters)),
    ["consoleMs"] = new JsonObject
    {
        ["allHistoryFirstPage"] = Num(console.AllHistoryFirstPage),
        ["failuresByWebhookFirstPage"] = Num(console.FailuresByWebhookFirstPage),
        ["page50"] = Num(console.Page50),
        ["textSearch"] = Num(console.TextSearch),
        ["textSearchScan"] = Num(console.ScanSearch),
        ["overview"] = Num(console.Overview),
        ["webhookChart"] = Num(console.WebhookChart),
    },
    ["retryLatenessMs"] = new JsonObject { ["p50"] = Num(retry.P50), ["p99"] = Num(retry.P99) },
    ["crashDuplicatesPercent"] = Num(crash.Percent),
    ["limitedWebhookPerSec"] = new JsonObject { ["limited"] = Num(limits.LimitedPerSec), ["unlimited"] = Num(limits.FreePerSec), ["limit"] = 50 },
    ["soakMinutes"] = options.SoakMinutes,
    ["soakRssSlopeMbPerMin"] = Num(soak.SlopeMbPerMin),
    ["soakPeakWorkingSetMb"] = Num(soak.PeakMb),
    ["soakWorkingSetAfterLoadMb"] = Num(soak.AfterLoadMb),
    ["peakWorkingSetMb"] = new JsonObject { ["endToEnd"] = Num(e2e.PeakMb), ["console"] = Num(console.PeakMb) },
    ["searchIndexCatchUp"] = new JsonObject { ["rows"] = console.IndexedRows, ["seconds"] = Num(Math.Round(console.IndexSeconds, 1)) },
    ["postgresConsole"] = postgresConsole is not { } pc ? null : new JsonObject
    {
        ["jobs"] = pc.Jobs, ["allHistoryFirstPage"] = Num(pc.AllHistoryFirstPage), ["failuresByWebhookFirstPage"] = Num(pc.FailuresByWebhookFirstPage),
        ["page50"] = Num(pc.Page50), ["textSearch"] = Num(pc.TextSearch), ["overview"] = Num(pc.Overview), ["webhookChart"] = Num(pc.WebhookChart), ["searchIndexCatchUpSeconds"] = Num(Math.Round(pc.IndexSeconds, 1)),
    },
    ["postgresEndToEnd"] = new JsonArray(postgres.Select(r => (JsonNode)new JsonObject
    {
        ["instances"] = r.Instances, ["deliveriesPerSec"] = Num(Math.Round(r.DeliveriesPerSec)), ["ratio"] = Num(Math.Round(r.DeliveriesPerSec / ceiling, 3)),
        ["consoleCpuMsPerDelivery"] = Num(r.ConsoleCpuMsPerDelivery), ["serverCpuMsPerDelivery"] = Num(r.ServerCpuMsPerDelivery),
        ["delivered"] = r.Delivered, ["recorded"] = r.Recorded, ["badSignatures"] = r.BadSignatures,
        ["latencyMs"] = r.Latency is not { } l ? null : new JsonObject { ["p50"] = Num(l.P50), ["p95"] = Num(l.P95), ["p99"] = Num(l.P99) },
    }).ToArray()),
    ["checks"] = new JsonObject
    {
        ["delivered"] = e2e.Delivered, ["recordedAttempts"] = e2e.Recorded, ["badSignatures"] = e2e.BadSignatures,
        ["latencySent"] = latency.Sent, ["latencyArrived"] = latency.Arrived,
        ["soakSent"] = soak.Sent, ["soakDelivered"] = soak.Delivered,
        ["retried"] = retry.Retried, ["crashJobs"] = crash.Jobs, ["crashDelivered"] = crash.Delivered, ["crashKilledAt"] = crash.KilledAt, ["crashRecordedAtKill"] = crash.RecordedAtKill, ["crashRecordedFromJournal"] = crash.FromJournal,
    },
};

string Row(string name, string value, string target, bool ok) => $"| {name,-44} | {value,14} | {target,-16} | {(ok ? "ok" : "MISSED"),-6} |";
Console.WriteLine();
Console.WriteLine($"| {"measure",-44} | {"value",14} | {"target",-16} | {"",-6} |");
Console.WriteLine($"|{new string('-', 46)}|{new string('-', 16)}|{new string('-', 18)}|{new string('-', 8)}|");
Console.WriteLine(Row("ceiling, bare HttpClient (req/s)", $"{ceiling:N0}", "", true));
Console.WriteLine(Row("end to end (deliveries/s)", $"{e2e.DeliveriesPerSec:N0}", "≥ 5,000", e2e.DeliveriesPerSec >= 5000));
Console.WriteLine(Row("end to end / ceiling", $"{e2e.DeliveriesPerSec / ceiling:P1}", "≥ 13%", e2e.DeliveriesPerSec / ceiling >= 0.13));
foreach (var r in postgres)
{
    Console.WriteLine(Row($"PostgreSQL, {r.Instances} instance(s) (deliveries/s)", $"{r.DeliveriesPerSec:N0}", r.Instances == 1 ? "≥ 2,500" : "≥ 1 instance's",
        r.Instances == 1 ? r.DeliveriesPerSec >= 2500 : r.DeliveriesPerSec >= postgres.First(p => p.Instances == 1 || p == postgres[0]).DeliveriesPerSec * 0.95));
    Console.WriteLine(Row($"PostgreSQL, {r.Instances}: ratio / CPU µs (consoles, server)", $"{r.DeliveriesPerSec / ceiling:P1} / {r.ConsoleCpuMsPerDelivery * 1000:N0}, {r.ServerCpuMsPerDelivery * 1000:N0}", "", true));
    if (r.Latency is { } l) Console.WriteLine(Row($"PostgreSQL, {r.Instances}: latency p50 / p95 / p99 (ms)", $"{l.P50} / {l.P95} / {l.P99}", "p99 ≤ 50", l.P99 <= 50));
}
Console.WriteLine(Row($"latency p50 / p95 / p99 at {options.LatencyRate}/s (ms)", $"{latency.P50} / {latency.P95} / {latency.P99}", "p99 ≤ 50", latency.P99 <= 50));
Console.WriteLine(Row("ingestion, single (events/s)", $"{single:N0}", "≥ 3,000", single >= 3000));
Console.WriteLine(Row("ingestion, batch (events/s)", $"{batch:N0}", "≥ 20,000", batch >= 20000));
Console.WriteLine(Row("filters, one thread (evals/s)", $"{filters:N0}", "≥ 300,000", filters >= 300000));
Console.WriteLine(Row($"All History first page, {console.Jobs:N0} jobs (ms)", $"{console.AllHistoryFirstPage}", "≤ 20", console.AllHistoryFirstPage <= 20));
Console.WriteLine(Row("Failures by webhook first page (ms)", $"{console.FailuresByWebhookFirstPage}", "≤ 20", console.FailuresByWebhookFirstPage <= 20));
Console.WriteLine(Row("page 50 (ms)", $"{console.Page50}", "≤ 50", console.Page50 <= 50));
Console.WriteLine(Row("text search (ms)", $"{console.TextSearch}", "≤ 500", console.TextSearch <= 500));
Console.WriteLine(Row("text search inside a word, 7-day scan (ms)", $"{console.ScanSearch}", "", true));
Console.WriteLine(Row("overview figures + chart / a webhook's chart (ms)", $"{console.Overview} / {console.WebhookChart}", "≤ 50", console.Overview <= 50 && console.WebhookChart <= 50));
if (postgresConsole is { } p)
{
    Console.WriteLine(Row($"PostgreSQL: All History / failures, {p.Jobs:N0} jobs (ms)", $"{p.AllHistoryFirstPage} / {p.FailuresByWebhookFirstPage}", "≤ 20", p.AllHistoryFirstPage <= 20 && p.FailuresByWebhookFirstPage <= 20));
    Console.WriteLine(Row("PostgreSQL: page 50 / text search (ms)", $"{p.Page50} / {p.TextSearch}", "≤ 50 / ≤ 500", p.Page50 <= 50 && p.TextSearch <= 500));
}
Console.WriteLine(Row("disk per delivery, database + search (bytes)", $"{e2e.DiskBytesPerDelivery:N0}", "≤ 2,048", e2e.DiskBytesPerDelivery <= 2048));
Console.WriteLine(Row("a webhook limited to 50/s / the unlimited one beside it (deliveries/s)", $"{limits.LimitedPerSec} / {limits.FreePerSec}", "50 ± 10 %", limits.LimitedPerSec is >= 45 and <= 55));
Console.WriteLine(Row("retry lateness p50 / p99 (ms)", $"{retry.P50} / {retry.P99}", "p99 ≤ 1,000", retry.P99 <= 1000));
// The issue's bound: at most 450 of 5,000 over three kills, so 3 % a kill.
Console.WriteLine(Row("deliveries sent twice after a kill (%)", $"{crash.Percent}", "≤ 3", crash.Percent <= 3));
if (options.SoakMinutes > 0)
{
    Console.WriteLine(Row($"soak {options.SoakMinutes} min: slope (MB/min)", $"{soak.SlopeMbPerMin}", "< 1", soak.SlopeMbPerMin < 1));
    Console.WriteLine(Row("soak: peak working set (MB)", $"{soak.PeakMb}", "≤ 400", soak.PeakMb <= 400));
}
Console.WriteLine(Row("peak working set, end to end (MB)", $"{e2e.PeakMb}", "≤ 400", e2e.PeakMb <= 400));
Console.WriteLine(Row("peak working set, console (MB)", $"{console.PeakMb}", "≤ 400", console.PeakMb <= 400));
Console.WriteLine();

var json = results.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
Console.WriteLine(json);
if (options.Only.Length == 0 || options.Out.Length > 0)
{
    Directory.CreateDirectory(Path.GetDirectoryName(outFile)!);
    await File.WriteAllTextAsync(outFile, json + Environment.NewLine);
    Step($"written to {outFile}");
}

if (!options.KeepData)
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { work.Delete(recursive: true); } catch (IOException) { }
}
var complete = (!options.Runs("e2e") || (e2e.Delivered >= options.Deliveries && e2e.Recorded >= options.Deliveries && e2e.BadSignatures == 0))
    && (!options.Runs("latency") || latency.Arrived == latency.Sent)
    && (!options.Runs("engine") || (retry.Retried == retry.Jobs && crash.Delivered == crash.Jobs))
    && (options.SoakMinutes == 0 || !options.Runs("soak") || soak.Delivered >= 2 * soak.Sent)
    && postgres.All(r => r.Delivered >= options.Deliveries && r.Recorded >= options.Deliveries && r.BadSignatures == 0);
if (!complete) Console.Error.WriteLine("Some deliveries were not delivered, recorded or signed: see checks.");
return complete ? 0 : 1;

static JsonNode? Num(double value) => double.IsNaN(value) ? null : JsonValue.Create(value);

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "WebhookConsole.sln"))) return dir.FullName;
    }
    throw new InvalidOperationException("Run the benchmark from the repository (WebhookConsole.sln not found above it).");
}

static string Commit(string root)
{
    try
    {
        var git = Process.Start(new ProcessStartInfo("git", ["-C", root, "rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var sha = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? sha : "unknown";
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}

static int FreePort()
{
    var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}
