using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using WebhookConsole.Filtering;

namespace WebhookConsole.Bench;

public sealed record EndToEndResult(double DeliveriesPerSec, long Delivered, long Recorded, long BadSignatures, double IngestSeconds, double PeakMb,
    double ConsoleCpuMsPerDelivery = double.NaN, double DiskBytesPerDelivery = double.NaN);

public sealed record LatencyResult(double P50, double P95, double P99, int Sent, int Arrived);

/// <summary>The measured parts, in the order the run takes them.</summary>
public static class Parts
{
    /// <summary>(1) What this machine's loopback HTTP can do: bare HttpClient to the same receiver.</summary>
    public static async Task<double> CeilingAsync(BenchReceiver receiver, int seconds)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseProxy = false });
        var body = new string('x', 1000 - 11);
        var payload = System.Text.Encoding.UTF8.GetBytes($"{{\"data\":\"{body}\"}}");
        var url = receiver.BaseUrl + "/ceiling";
        async Task Loop(TimeSpan duration)
        {
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < until)
            {
                using var content = new ByteArrayContent(payload);
                content.Headers.ContentType = new("application/json");
                using var response = await client.PostAsync(url, content);
                response.EnsureSuccessStatusCode();
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => Loop(TimeSpan.FromSeconds(3)))));
        var before = receiver.CeilingCount;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => Loop(TimeSpan.FromSeconds(seconds)))));
        return (receiver.CeilingCount - before) / watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Runs every path (single and batch ingestion, matching, filters, delivery, recording) for a while before
    /// anything is measured. On two cores the JIT's second tier takes tens of seconds of load to settle, and a
    /// console in service has long been past that; the figures are meant to describe that console.
    /// </summary>
    public static async Task WarmUpAsync(ConsoleProcess app, BenchReceiver receiver, int seconds)
    {
        using var api = app.CreateClient();
        await BenchEvents.CreateWebhookAsync(api, "Warm-up", "warmup", BenchEvents.Filter, $"{receiver.BaseUrl}/warm");
        var until = Stopwatch.GetTimestamp() + seconds * Stopwatch.Frequency;
        var seq = 0;
        async Task Singles()
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                using var response = await api.PostAsync("/api/v1/events", BenchEvents.Json(BenchEvents.Event("warm", Interlocked.Increment(ref seq), "warmup")));
                response.EnsureSuccessStatusCode();
            }
        }
        async Task Batches()
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                var first = Interlocked.Add(ref seq, 200);
                var body = new JsonArray(Enumerable.Range(first, 200).Select(i => (JsonNode)BenchEvents.Event("warm", i, "warmup")).ToArray());
                using var response = await api.PostAsync("/api/v1/events/batch", BenchEvents.Json(body));
                response.EnsureSuccessStatusCode();
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Singles()).Append(Batches()));
        // Let the deliveries the warm-up caused drain before the measured parts start.
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(60) && Scalar(app.Database, "SELECT COUNT(*) FROM WebhookJobs WHERE Status = 'Pending'") > 0;) await Task.Delay(250);
    }

    /// <summary>(4) Ingestion with no webhook listening: single events, 16 clients at once.</summary>
    public static async Task<double> IngestSingleAsync(ConsoleProcess app, int seconds)
    {
        using var api = app.CreateClient();
        var seq = 0;
        long stored = 0;
        async Task Loop(long until)
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                var n = Interlocked.Increment(ref seq);
                using var response = await api.PostAsync("/api/v1/events", BenchEvents.Json(BenchEvents.Event("single", n, "ingest", type: "Submission", action: "Saved")));
                if ((int)response.StatusCode != 202) throw new InvalidOperationException($"Single ingestion answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                Interlocked.Increment(ref stored);
            }
        }
        // A console in service is warm: the first seconds (JIT, pools) are not what it sustains.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Loop(Stopwatch.GetTimestamp() + 3 * Stopwatch.Frequency)));
        stored = 0;
        var watch = Stopwatch.StartNew();
        var end = Stopwatch.GetTimestamp() + seconds * Stopwatch.Frequency;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Loop(end)));
        return stored / watch.Elapsed.TotalSeconds;
    }

    /// <summary>(4) Ingestion with no webhook listening: batches of 500, two clients at once.</summary>
    public static async Task<double> IngestBatchAsync(ConsoleProcess app, int events)
    {
        using var api = app.CreateClient();
        const int size = 500;
        var batches = Math.Max(2, events / size);
        var bodies = Enumerable.Range(0, batches).Select(b =>
            new JsonArray(Enumerable.Range(0, size).Select(i => (JsonNode)BenchEvents.Event("batch", b * size + i, "ingest", action: "Saved")).ToArray()).ToJsonString()).ToList();
        var next = -1;
        async Task Loop()
        {
            for (int b; (b = Interlocked.Increment(ref next)) < bodies.Count;)
            {
                using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(bodies[b], System.Text.Encoding.UTF8, "application/json"));
                if ((int)response.StatusCode != 202) throw new InvalidOperationException($"Batch ingestion answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
        for (var i = 0; i < 10; i++)
        {
            var warm = new JsonArray(Enumerable.Range(0, size).Select(n => (JsonNode)BenchEvents.Event($"batch-warm-{i}", n, "ingest", action: "Saved")).ToArray()).ToJsonString();
            using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(warm, System.Text.Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Loop(), Loop());
        return bodies.Count * size / watch.Elapsed.TotalSeconds;
    }

    /// <summary>(5) The portal's typical filter, with full bindings, on one thread.</summary>
    public static double Filters(int seconds)
    {
        var evaluator = new JintFilterEvaluator(Options.Create(new FilteringOptions()));
        var context = JsonSerializer.SerializeToElement(BenchEvents.Context(1, 0));
        var bindings = new ScriptBindings("Submission", "Submitted", context, "services", "bench");
        for (var i = 0; i < 10_000; i++) Check(evaluator.EvaluateFilter(BenchEvents.Filter, bindings));
        long count = 0;
        var watch = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        while (watch.Elapsed < until)
        {
            for (var i = 0; i < 1000; i++) Check(evaluator.EvaluateFilter(BenchEvents.Filter, bindings));
            count += 1000;
        }
        return count / watch.Elapsed.TotalSeconds;

        static void Check(FilterResult r)
        {
            if (!r.Passed) throw new InvalidOperationException($"The benchmark filter did not pass: {r.Error?.Message}");
        }
    }

    /// <summary>
    /// (2) Events through the batch endpoint; 10 webhooks, each event fires exactly 2 (route r fires webhooks
    /// r and r+5). Counted at the receiver, first delivery to last; then every attempt is checked in the database.
    /// </summary>
    public static async Task<EndToEndResult> EndToEndAsync(ConsoleProcess app, BenchReceiver receiver, string database, int deliveries)
    {
        using var api = app.CreateClient();
        for (var i = 0; i < 10; i++)
        {
            var filter = $"values('Route') === '{i % 5}' && {BenchEvents.Filter}";
            await BenchEvents.CreateWebhookAsync(api, $"Bench {i}", "bench", filter, $"{receiver.BaseUrl}/e2e/{i}");
        }
        receiver.UseSecret(BenchEvents.Secret);
        // Warm the whole path (filters, payloads, Hangfire, the sender's connections, the JIT's second tier) before
        // counting: a console in service has been running for days, not seconds.
        var warmBatches = Math.Clamp(deliveries / 10_000, 4, 20);
        for (var b = 0; b < warmBatches; b++)
        {
            var warm = new JsonArray(Enumerable.Range(0, 500).Select(i => (JsonNode)BenchEvents.Event($"e2e-warm-{b}", i, "bench", i % 5)).ToArray()).ToJsonString();
            using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(warm, System.Text.Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
        for (var wait = Stopwatch.StartNew(); receiver.Deliveries < warmBatches * 1000 && wait.Elapsed < TimeSpan.FromSeconds(120);) await Task.Delay(50);
        var warmDelivered = receiver.Deliveries;
        receiver.ResetDeliveries();

        const int size = 500;
        var events = deliveries / 2;
        var bodies = Enumerable.Range(0, (events + size - 1) / size).Select(b =>
            new JsonArray(Enumerable.Range(b * size, Math.Min(size, events - b * size)).Select(i => (JsonNode)BenchEvents.Event("e2e", i, "bench", i % 5)).ToArray()).ToJsonString()).ToList();

        // Disk is measured between two settled states: every warm-up delivery recorded and the background search
        // indexer caught up, so neither the warm-up's tail nor the indexer's lag is counted as the burst's.
        await SettleAsync(database);
        var diskBefore = DiskBytes(database);
        await using var memory = new PeakWorkingSet(app.Process);
        app.Process.Refresh();
        var cpuBefore = app.Process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var next = -1;
        async Task Post()
        {
            for (int b; (b = Interlocked.Increment(ref next)) < bodies.Count;)
            {
                using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(bodies[b], System.Text.Encoding.UTF8, "application/json"));
                var reply = await response.Content.ReadAsStringAsync();
                if ((int)response.StatusCode != 202) throw new InvalidOperationException($"Batch answered {(int)response.StatusCode}: {reply}");
            }
        }
        await Task.WhenAll(Post(), Post());
        var ingested = watch.Elapsed.TotalSeconds;

        var deadline = Stopwatch.StartNew();
        var last = receiver.Deliveries;
        var stalled = Stopwatch.StartNew();
        while (receiver.Deliveries < deliveries)
        {
            await Task.Delay(100);
            if (receiver.Deliveries != last) { last = receiver.Deliveries; stalled.Restart(); }
            if (stalled.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException($"Deliveries stalled at {receiver.Deliveries:N0} of {deliveries:N0}. {string.Join(Environment.NewLine, app.Errors)}");
        }
        var seconds = (receiver.LastDeliveryTicks - receiver.FirstDeliveryTicks) / (double)Stopwatch.Frequency;
        var rate = receiver.Deliveries / Math.Max(seconds, 0.001);

        // As in production, every delivery is recorded as an attempt and its job completed.
        long recorded = 0;
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(250))
        {
            recorded = Scalar(database, "SELECT COUNT(*) FROM JobAttempts a JOIN WebhookJobs j ON j.Id = a.JobId WHERE j.WebhookName LIKE 'Bench %' AND j.Status = 'Succeeded'");
            if (recorded >= deliveries + warmDelivered) break;
        }
        // The console's CPU for the whole burst, recording included: steadier than the rate on a shared machine,
        // so A/B comparisons of the delivery path can read it alongside the rate.
        app.Process.Refresh();
        var cpuMs = (app.Process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        // What the burst added on disk (events, jobs, attempts, their indexes and the search index), once the search
        // index has caught up.
        await SettleAsync(database);
        var diskPerDelivery = (DiskBytes(database) - diskBefore) / (double)Math.Max(1, receiver.Deliveries);
        return new EndToEndResult(rate, receiver.Deliveries, recorded - warmDelivered, receiver.BadSignatures, ingested, memory.PeakMb,
            Math.Round(cpuMs / Math.Max(1, receiver.Deliveries), 3), Math.Round(diskPerDelivery));
    }

    /// <summary>
    /// Waits (up to a minute) until no job is pending and the search index has read every job and attempt the
    /// database holds.
    /// </summary>
    public static async Task SettleAsync(string database)
    {
        var search = Path.Combine(Path.GetDirectoryName(database)!, Path.GetFileNameWithoutExtension(database) + ".search.db");
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(250))
        {
            if (Scalar(database, "SELECT COUNT(*) FROM WebhookJobs WHERE Status = 'Pending'") > 0 || !File.Exists(search)) continue;
            var jobs = Scalar(database, "SELECT coalesce(max(rowid), 0) FROM WebhookJobs");
            var attempts = Scalar(database, "SELECT coalesce(max(Id), 0) FROM JobAttempts");
            if (Scalar(search, "SELECT coalesce(max(CASE Kind WHEN 0 THEN Mark END), 0) FROM SearchIndexMarks") >= jobs
                && Scalar(search, "SELECT coalesce(max(CASE Kind WHEN 1 THEN Mark END), 0) FROM SearchIndexMarks") >= attempts) return;
        }
    }

    /// <summary>
    /// The database and its search index, in bytes of pages in use: page count less free pages, read through the
    /// write-ahead log, so neither a log that holds several versions of a page nor free pages inflate it.
    /// </summary>
    public static long DiskBytes(string database)
    {
        var search = Path.Combine(Path.GetDirectoryName(database)!, Path.GetFileNameWithoutExtension(database) + ".search.db");
        long total = 0;
        foreach (var file in new[] { database, search }.Where(File.Exists))
        {
            using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
            connection.Open();
            long Pragma(string name)
            {
                using var command = connection.CreateCommand();
                command.CommandText = $"PRAGMA {name}";
                return Convert.ToInt64(command.ExecuteScalar());
            }
            total += (Pragma("page_count") - Pragma("freelist_count")) * Pragma("page_size");
        }
        return total;
    }

    /// <summary>(3) A steady rate of single events; the time from the POST to the receiver's arrival.</summary>
    public static async Task<LatencyResult> LatencyAsync(ConsoleProcess app, BenchReceiver receiver, int rate, int seconds)
    {
        using var api = app.CreateClient();
        await BenchEvents.CreateWebhookAsync(api, "Latency", "latency", BenchEvents.Filter, $"{receiver.BaseUrl}/latency?seq=${{values('Seq')}}");
        // Warm the path (connections, JIT) before the measured run.
        for (var i = 0; i < 50; i++) await api.PostAsync("/api/v1/events", BenchEvents.Json(BenchEvents.Event("latency-warm", 1_000_000 + i, "latency")));
        await Task.Delay(500);
        receiver.LatencyArrivals.Clear();

        var total = rate * seconds;
        var sent = new long[total];
        var requests = new List<Task>(total);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < total;)
        {
            var now = Stopwatch.GetTimestamp();
            while (i < total && start + (long)(i * (double)Stopwatch.Frequency / rate) <= now)
            {
                var seq = i++;
                var body = BenchEvents.Json(BenchEvents.Event("latency", seq, "latency"));
                sent[seq] = Stopwatch.GetTimestamp();
                requests.Add(api.PostAsync("/api/v1/events", body));
            }
            await Task.Delay(1);
        }
        await Task.WhenAll(requests);
        for (var wait = Stopwatch.StartNew(); receiver.LatencyArrivals.Count < total && wait.Elapsed < TimeSpan.FromSeconds(30);) await Task.Delay(100);
        var latencies = receiver.LatencyArrivals.Where(a => a.Key < total)
            .Select(a => (a.Value - sent[a.Key]) * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        if (latencies.Length == 0) throw new InvalidOperationException("No latency event reached the receiver.");
        double P(double q) => Math.Round(latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)], 1);
        return new LatencyResult(P(0.50), P(0.95), P(0.99), total, latencies.Length);
    }

    public static long Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }
}
