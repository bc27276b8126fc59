using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;

namespace WebhookConsole.Bench;

/// <summary>End to end on PostgreSQL with some instances: the figures and what they cost.</summary>
public sealed record PostgresEndToEndResult(int Instances, double DeliveriesPerSec, long Delivered, long Recorded, long BadSignatures,
    double ConsoleCpuMsPerDelivery, double ServerCpuMsPerDelivery, string Database, LatencyResult? Latency);

/// <summary>
/// A throwaway PostgreSQL cluster (<c>.ci/postgres</c>, as the tests use) and the end-to-end part on it: the same
/// events, webhooks and receiver as part (2), the batches spread over the instances.
/// </summary>
public sealed class PostgresBench : IAsyncDisposable
{
    private readonly string _script;
    private readonly string _dir;

    private PostgresBench(string script, string dir, string server)
    {
        _script = script;
        _dir = dir;
        Server = server;
    }

    /// <summary>The cluster's connection string (user postgres, database postgres).</summary>
    public string Server { get; }

    public static async Task<PostgresBench> StartAsync(string root)
    {
        var script = Path.Combine(root, ".ci", "postgres");
        var dir = Path.Combine(Path.GetTempPath(), "wc-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var server = (await RunAsync(script, "start", dir)).Trim();
        return new PostgresBench(script, dir, server);
    }

    private static async Task<string> RunAsync(string script, string command, string dir)
    {
        var info = new ProcessStartInfo("bash", [script, command, dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($".ci/postgres {command} failed: {error}");
        return output;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync(_script, "stop", _dir);
    }

    /// <summary>(2) on PostgreSQL: <paramref name="instances"/> consoles on one new database.</summary>
    /// <param name="latency">Part (3) on the first instance once the burst is delivered (null: not run).</param>
    public async Task<PostgresEndToEndResult> EndToEndAsync(string appDll, BenchReceiver receiver, int instances, int deliveries, Func<int> freePort,
        Func<ConsoleProcess, Task<LatencyResult>>? latency = null)
    {
        var database = new NpgsqlConnectionStringBuilder(Server) { Database = $"bench_{instances}_{Guid.NewGuid():N}"[..30] }.ConnectionString;
        var settings = new Dictionary<string, string> { ["Database__Provider"] = "Postgres", ["ConnectionStrings__Console"] = database };
        var consoles = new List<ConsoleProcess>();
        try
        {
            // The first creates and migrates the database; the others start on it together.
            consoles.Add(await ConsoleProcess.StartAsync(appDll, "postgres", freePort(), settings));
            consoles.AddRange(await Task.WhenAll(Enumerable.Range(1, instances - 1).Select(_ => ConsoleProcess.StartAsync(appDll, "postgres", freePort(), settings))));
            var clients = consoles.Select(c => c.CreateClient()).ToList();
            await TryAsync(database, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            for (var i = 0; i < 10; i++)
            {
                var filter = $"values('Route') === '{i % 5}' && {BenchEvents.Filter}";
                await BenchEvents.CreateWebhookAsync(clients[0], $"Bench {i}", "bench", filter, $"{receiver.BaseUrl}/e2e/{i}");
            }
            receiver.UseSecret(BenchEvents.Secret);
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // the other instances see the new webhooks within 2 s

            // Warm every instance's path before counting.
            receiver.ResetDeliveries();
            var warmBatches = Math.Clamp(deliveries / 10_000, 4, 20);
            await Task.WhenAll(Enumerable.Range(0, warmBatches).Select(async b =>
            {
                var warm = new JsonArray(Enumerable.Range(0, 500).Select(i => (JsonNode)BenchEvents.Event($"pg-warm-{instances}-{b}", i, "bench", i % 5)).ToArray()).ToJsonString();
                using var response = await clients[b % clients.Count].PostAsync("/api/v1/events/batch", new StringContent(warm, System.Text.Encoding.UTF8, "application/json"));
                response.EnsureSuccessStatusCode();
            }));
            for (var wait = Stopwatch.StartNew(); receiver.Deliveries < warmBatches * 1000 && wait.Elapsed < TimeSpan.FromSeconds(120);) await Task.Delay(50);
            var warmDelivered = receiver.Deliveries;
            await SettleAsync(database);
            receiver.ResetDeliveries();

            const int size = 500;
            var events = deliveries / 2;
            var bodies = Enumerable.Range(0, (events + size - 1) / size).Select(b =>
                new JsonArray(Enumerable.Range(b * size, Math.Min(size, events - b * size)).Select(i => (JsonNode)BenchEvents.Event($"pg{instances}", i, "bench", i % 5)).ToArray()).ToJsonString()).ToList();
            await TryAsync(database, "SELECT pg_stat_statements_reset()");
            var consoleCpuBefore = consoles.Sum(c => Cpu(c.Process));
            var serverCpuBefore = ServerCpuMs();
            var next = -1;
            async Task Post(HttpClient api)
            {
                for (int b; (b = Interlocked.Increment(ref next)) < bodies.Count;)
                {
                    using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(bodies[b], System.Text.Encoding.UTF8, "application/json"));
                    if ((int)response.StatusCode != 202) throw new InvalidOperationException($"Batch answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            // What the server's busy sessions wait on during the burst, sampled: where contention would show.
            using var sampling = new CancellationTokenSource();
            var waits = SampleWaitsAsync(database, sampling.Token);
            // Two posters per instance, as part (2) has two for its one console.
            await Task.WhenAll(clients.SelectMany(c => new[] { Post(c), Post(c) }));

            var last = receiver.Deliveries;
            var stalled = Stopwatch.StartNew();
            while (receiver.Deliveries < deliveries)
            {
                await Task.Delay(100);
                if (receiver.Deliveries != last) { last = receiver.Deliveries; stalled.Restart(); }
                if (stalled.Elapsed > TimeSpan.FromSeconds(90))
                {
                    throw new TimeoutException($"Deliveries stalled at {receiver.Deliveries:N0} of {deliveries:N0}. {string.Join(Environment.NewLine, consoles.SelectMany(c => c.Errors))}");
                }
            }
            var seconds = (receiver.LastDeliveryTicks - receiver.FirstDeliveryTicks) / (double)Stopwatch.Frequency;
            var unique = receiver.Deliveries; // counted once per webhook-id
            var rate = unique / Math.Max(seconds, 0.001);

            long recorded = 0;
            for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(250))
            {
                recorded = await ScalarAsync(database, """SELECT count(*) FROM "JobAttempts" a JOIN "WebhookJobs" j ON j."Id" = a."JobId" WHERE j."WebhookName" LIKE 'Bench %' AND j."Status" = 'Succeeded'""");
                if (recorded >= deliveries + warmDelivered) break;
            }
            await sampling.CancelAsync();
            var waited = await waits;
            Console.WriteLine("    busy server sessions by wait (samples): " + string.Join(", ", waited.OrderByDescending(w => w.Value).Take(8).Select(w => $"{w.Key} {w.Value}")));
            var consoleCpu = consoles.Sum(c => Cpu(c.Process)) - consoleCpuBefore;
            await PrintTopStatementsAsync(database, unique);
            var serverCpu = ServerCpuMs() - serverCpuBefore;
            var latencyResult = latency is null ? null : await latency(consoles[0]);
            return new PostgresEndToEndResult(instances, rate, unique, recorded - warmDelivered, receiver.BadSignatures,
                Math.Round(consoleCpu / Math.Max(1, unique), 3), Math.Round(serverCpu / Math.Max(1, unique), 3), database, latencyResult);
        }
        finally
        {
            foreach (var console in consoles) await console.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
        }
    }

    /// <summary>
    /// With the server started with pg_stat_statements (<c>WC_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements"</c>),
    /// the statements that cost the server most during the run, per delivery: where its CPU goes.
    /// </summary>
    private static async Task PrintTopStatementsAsync(string database, long deliveries)
    {
        try
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                SELECT calls, round(total_exec_time::numeric, 0), round(total_plan_time::numeric, 0), left(regexp_replace(query, '\s+', ' ', 'g'), 110)
                FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                ORDER BY total_exec_time + total_plan_time DESC LIMIT 12
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            Console.WriteLine($"    top statements ({deliveries:N0} deliveries): calls, exec ms, plan ms, statement");
            while (await reader.ReadAsync())
            {
                Console.WriteLine($"      {reader.GetInt64(0),9:N0} {reader.GetDecimal(1),8:N0} {reader.GetDecimal(2),6:N0}  {reader.GetString(3)}");
            }
        }
        catch (PostgresException)
        {
            // The extension is not loaded: nothing to show.
        }
    }

    private static double Cpu(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalMilliseconds;
    }

    /// <summary>CPU of this cluster's server processes (every process whose command line names the cluster's folder), in ms.</summary>
    private double ServerCpuMs()
    {
        double total = 0;
        var ticksPerSecond = 100.0; // USER_HZ on Linux
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                if (comm != "postgres" || !IsOfCluster(dir, cmdline)) continue;
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                total += (long.Parse(fields[11]) + long.Parse(fields[12])) * 1000 / ticksPerSecond; // utime, stime
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
            }
        }
        return total;
    }

    /// <summary>The postmaster names the folder on its command line; its children (backends) share its parent id chain.</summary>
    private bool IsOfCluster(string procDir, string cmdline)
    {
        if (cmdline.Contains(_dir, StringComparison.Ordinal)) return true;
        var stat = File.ReadAllText(Path.Combine(procDir, "stat"));
        var parent = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
        try
        {
            return File.ReadAllText($"/proc/{parent}/cmdline").Contains(_dir, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task SettleAsync(string database)
    {
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(250))
        {
            if (await ScalarAsync(database, """SELECT count(*) FROM "WebhookJobs" WHERE "Status" = 'Pending'""") == 0) return;
        }
    }

    private static async Task<Dictionary<string, int>> SampleWaitsAsync(string database, CancellationToken ct)
    {
        var counts = new Dictionary<string, int>();
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(CancellationToken.None);
        while (!ct.IsCancellationRequested)
        {
            await using (var command = new NpgsqlCommand(
                "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND datname = current_database()", connection))
            await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None))
            {
                while (await reader.ReadAsync(CancellationToken.None)) counts[reader.GetString(0)] = counts.GetValueOrDefault(reader.GetString(0)) + 1;
            }
            try { await Task.Delay(100, ct); } catch (OperationCanceledException) { break; }
        }
        return counts;
    }

    private static async Task TryAsync(string database, string sql)
    {
        try
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (PostgresException)
        {
            // Diagnostics only (pg_stat_statements not loaded).
        }
    }

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
