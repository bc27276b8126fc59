using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WebhookConsole.Bench;

public sealed record RetryLatenessResult(double P50, double P99, int Jobs, int Retried);
public sealed record SoakResult(double SlopeMbPerMin, double PeakMb, double StartMb, double EndMb, double AfterLoadMb, long Sent, long Delivered, double P99Ms);
public sealed record LimitResult(double LimitedPerSec, double FreePerSec, int Events, int LimitedArrived, int FreeArrived);
public sealed record CrashResult(int Jobs, int Delivered, int Twice, int KilledAt, int RecordedAtKill = 0, int FromJournal = 0)
{
    public double Percent => Jobs == 0 ? double.NaN : Math.Round(100.0 * Twice / Jobs, 2);
}

/// <summary>
/// (7) The delivery engine's timing and crash behaviour, each on a console of its own with a fresh database:
/// how late retries start (measured at the receiver) and how many deliveries a SIGKILL makes it send twice.
/// </summary>
public static class EngineParts
{
    /// <summary>
    /// A receiver that answers every delivery's first attempt 429 with <c>Retry-After: 7</c>, then 200: the retry
    /// is due 7 s after the first attempt is recorded (the schedule's 5 s, lengthened by Retry-After; jitter 0 so
    /// the due time is known at the receiver). Lateness = second arrival − (first answer + 7 s), so it errs late by
    /// the few milliseconds the record takes.
    /// </summary>
    public static async Task<RetryLatenessResult> RetryLatenessAsync(string appDll, string work, int port, int jobs)
    {
        var firstAnswered = new ConcurrentDictionary<string, long>();
        var late = new ConcurrentDictionary<string, double>();
        await using var receiver = await Receiver.StartAsync(async ctx =>
        {
            var id = ctx.Request.Headers["webhook-id"].ToString();
            await ctx.Request.Body.CopyToAsync(Stream.Null);
            var now = Stopwatch.GetTimestamp();
            if (firstAnswered.TryAdd(id, now))
            {
                ctx.Response.StatusCode = 429;
                ctx.Response.Headers.RetryAfter = "7";
                return;
            }
            late.TryAdd(id, Stopwatch.GetElapsedTime(firstAnswered[id], now).TotalMilliseconds - 7_000);
            ctx.Response.StatusCode = 200;
        });
        await using var app = await ConsoleProcess.StartAsync(appDll, Path.Combine(work, "retry.db"), port, new Dictionary<string, string>
        {
            ["Dispatch__RetryJitter"] = "0", ["Dispatch__DisableAfterConsecutiveFailures"] = "0",
        });
        using var api = app.CreateClient();
        await BenchEvents.CreateWebhookAsync(api, "Retry timing", "retry", "true", receiver.Url + "/retry");
        foreach (var chunk in Enumerable.Range(0, jobs).Chunk(500))
        {
            var body = new JsonArray(chunk.Select(i => (JsonNode)BenchEvents.Event("retry", i, "retry")).ToArray()).ToJsonString();
            using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
        for (var wait = Stopwatch.StartNew(); late.Count < jobs && wait.Elapsed < TimeSpan.FromSeconds(120);) await Task.Delay(100);
        var sorted = late.Values.Order().ToList();
        return sorted.Count == 0
            ? new RetryLatenessResult(double.NaN, double.NaN, jobs, 0)
            : new RetryLatenessResult(Math.Round(sorted[sorted.Count / 2], 1), Math.Round(sorted[Math.Min(sorted.Count - 1, sorted.Count * 99 / 100)], 1), jobs, sorted.Count);
    }

    /// <summary>
    /// Two webhooks on the same events: one limited to <paramref name="rate"/> deliveries a second, one without a limit.
    /// The limited one's rate is measured at its receiver over its whole run; the free one's, from the first arrival to
    /// its last (it must not wait behind the limited one).
    /// </summary>
    public static async Task<LimitResult> LimitsAsync(string appDll, string work, int port, int events, int rate)
    {
        var limited = new ConcurrentQueue<long>();
        var free = new ConcurrentQueue<long>();
        await using var receiver = await Receiver.StartAsync(async ctx =>
        {
            await ctx.Request.Body.CopyToAsync(Stream.Null);
            (ctx.Request.Path.StartsWithSegments("/limited") ? limited : free).Enqueue(Stopwatch.GetTimestamp());
            ctx.Response.StatusCode = 200;
        });
        await using var app = await ConsoleProcess.StartAsync(appDll, Path.Combine(work, "limits.db"), port);
        using var api = app.CreateClient();
        var limitedId = await BenchEvents.CreateWebhookAsync(api, "Limited", "limits", "true", receiver.Url + "/limited");
        await BenchEvents.CreateWebhookAsync(api, "Free", "limits", "true", receiver.Url + "/free");
        (await api.PutAsync($"/api/v1/webhooks/{limitedId}", BenchEvents.Json(new JsonObject { ["maxDeliveriesPerSecond"] = rate }))).EnsureSuccessStatusCode();
        foreach (var chunk in Enumerable.Range(0, events).Chunk(500))
        {
            var body = new JsonArray(chunk.Select(i => (JsonNode)BenchEvents.Event("limits", i, "limits")).ToArray()).ToJsonString();
            using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
        var deadline = TimeSpan.FromSeconds(events / (double)rate * 2 + 30);
        for (var wait = Stopwatch.StartNew(); (limited.Count < events || free.Count < events) && wait.Elapsed < deadline;) await Task.Delay(100);
        static double Rate(ConcurrentQueue<long> arrivals)
        {
            var times = arrivals.Order().ToList();
            return times.Count < 2 ? double.NaN : Math.Round((times.Count - 1) / Stopwatch.GetElapsedTime(times[0], times[^1]).TotalSeconds, 1);
        }
        return new LimitResult(Rate(limited), Rate(free), events, limited.Count, free.Count);
    }

    /// <summary>
    /// A burst of <paramref name="jobs"/> deliveries to a receiver answering in about a millisecond; SIGKILL when
    /// half have arrived; a restart on the same database; then every job must arrive. Counts the jobs that
    /// arrived more than once.
    /// </summary>
    public static async Task<CrashResult> CrashDuplicatesAsync(string appDll, string work, int port, int jobs)
    {
        var arrivals = new ConcurrentDictionary<string, int>();
        await using var receiver = await Receiver.StartAsync(async ctx =>
        {
            await ctx.Request.Body.CopyToAsync(Stream.Null);
            arrivals.AddOrUpdate(ctx.Request.Headers["webhook-id"].ToString(), 1, (_, n) => n + 1);
            ctx.Response.StatusCode = 200;
        });
        var database = Path.Combine(work, "crash.db");
        var killedAt = 0;
        await using (var app = await ConsoleProcess.StartAsync(appDll, database, port))
        {
            using var api = app.CreateClient();
            await BenchEvents.CreateWebhookAsync(api, "Crash", "crash", "true", receiver.Url + "/crash");
            var bodies = Enumerable.Range(0, jobs).Chunk(500)
                .Select(chunk => new JsonArray(chunk.Select(i => (JsonNode)BenchEvents.Event("crash", i, "crash")).ToArray()).ToJsonString()).ToList();
            var post = Task.Run(async () =>
            {
                foreach (var body in bodies)
                {
                    try
                    {
                        using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
                        response.EnsureSuccessStatusCode();
                    }
                    catch (HttpRequestException) { return; } // the kill came first; the rest is posted after the restart
                }
            });
            for (var wait = Stopwatch.StartNew(); arrivals.Count < jobs / 2 && wait.Elapsed < TimeSpan.FromSeconds(60);) await Task.Delay(1);
            app.Process.Kill(entireProcessTree: true);
            await app.Process.WaitForExitAsync();
            killedAt = arrivals.Count;
            await post;
        }
        // What the killed process had committed: the arrivals beyond it are what is sent again.
        var recordedAtKill = await CountAsync(database, "SELECT count(*) FROM \"JobAttempts\"");
        await using (var again = await ConsoleProcess.StartAsync(appDll, database, port))
        {
            // Events whose batch the kill cut off are posted again (their ids make a repeat a no-op).
            using var api = again.CreateClient();
            foreach (var chunk in Enumerable.Range(0, jobs).Chunk(500))
            {
                var body = new JsonArray(chunk.Select(i => (JsonNode)BenchEvents.Event("crash", i, "crash")).ToArray()).ToJsonString();
                using var response = await api.PostAsync("/api/v1/events/batch", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
                response.EnsureSuccessStatusCode();
            }
            for (var wait = Stopwatch.StartNew(); arrivals.Count < jobs && wait.Elapsed < TimeSpan.FromSeconds(120);) await Task.Delay(50);
            await Task.Delay(500);
        }
        // The attempts the restart recorded from the killed process's outcome journal instead of sending them again.
        var fromJournal = await CountAsync(database, "SELECT count(*) FROM \"JobAttempts\" WHERE \"Error\" LIKE '%outcome journal%'");
        return new CrashResult(jobs, arrivals.Count, arrivals.Values.Count(n => n > 1), killedAt, recordedAtKill, fromJournal);
    }

    /// <summary>One count from a stopped console's database; the pool is cleared so the next console finds the file free.</summary>
    private static async Task<int> CountAsync(string database, string sql)
    {
        int result;
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database}"))
        {
            await connection.OpenAsync();
            await using var count = connection.CreateCommand();
            count.CommandText = sql;
            result = Convert.ToInt32(await count.ExecuteScalarAsync());
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return result;
    }

    /// <summary>
    /// (8) Steady single events at <paramref name="rate"/>/s for <paramref name="minutes"/>, two webhooks each, on a
    /// fresh console. The working set is sampled every 5 s; the slope is a least-squares fit over the samples after
    /// the warm-up (the first fifth, at least a minute), so a leak shows as MB per minute. The working set 30 s after
    /// the load stops shows whether memory is given back.
    /// </summary>
    public static async Task<SoakResult> SoakAsync(string appDll, string work, int port, int minutes, int rate, Action<string> step)
    {
        long delivered = 0;
        await using var receiver = await Receiver.StartAsync(async ctx =>
        {
            await ctx.Request.Body.CopyToAsync(Stream.Null);
            Interlocked.Increment(ref delivered);
            ctx.Response.StatusCode = 200;
        });
        await using var app = await ConsoleProcess.StartAsync(appDll, Path.Combine(work, "soak.db"), port);
        using var api = app.CreateClient();
        await BenchEvents.CreateWebhookAsync(api, "Soak A", "soak", "true", receiver.Url + "/a");
        await BenchEvents.CreateWebhookAsync(api, "Soak B", "soak", "true", receiver.Url + "/b");

        var samples = new List<(double Minutes, double Mb)>();
        var latencies = new ConcurrentBag<double>();
        var duration = TimeSpan.FromMinutes(minutes);
        var warmUp = TimeSpan.FromMinutes(Math.Max(1, minutes / 5.0));
        long sent = 0, outstanding = 0;
        var start = Stopwatch.GetTimestamp();
        var nextSample = TimeSpan.Zero;
        for (var i = 0L; ; )
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= duration) break;
            if (elapsed >= nextSample)
            {
                app.Process.Refresh();
                samples.Add((elapsed.TotalMinutes, app.Process.WorkingSet64 / (1024.0 * 1024.0)));
                if (samples.Count % 12 == 0) step($"    {elapsed.TotalMinutes:0.0} min: {samples[^1].Mb:0} MB, {Interlocked.Read(ref delivered):N0} delivered");
                nextSample += TimeSpan.FromSeconds(5);
            }
            while (start + (long)(i * (double)Stopwatch.Frequency / rate) <= Stopwatch.GetTimestamp())
            {
                var seq = i++;
                Interlocked.Increment(ref sent);
                if (Interlocked.Read(ref outstanding) > rate * 10) continue; // the console fell far behind; the figure says so
                Interlocked.Increment(ref outstanding);
                _ = Post(seq);
            }
            await Task.Delay(1);
        }

        async Task Post(long seq)
        {
            var t = Stopwatch.GetTimestamp();
            try
            {
                using var response = await api.PostAsync("/api/v1/events", BenchEvents.Json(BenchEvents.Event("soak", (int)seq, "soak")));
                if (response.IsSuccessStatusCode) latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
            catch (HttpRequestException) { }
            finally { Interlocked.Decrement(ref outstanding); }
        }

        for (var wait = Stopwatch.StartNew(); Interlocked.Read(ref delivered) < 2 * Interlocked.Read(ref sent) && wait.Elapsed < TimeSpan.FromSeconds(60);) await Task.Delay(200);
        await Task.Delay(TimeSpan.FromSeconds(30));
        app.Process.Refresh();
        var after = app.Process.WorkingSet64 / (1024.0 * 1024.0);

        var steady = samples.Where(s => s.Minutes >= warmUp.TotalMinutes).ToList();
        double slope = double.NaN;
        if (steady.Count >= 3)
        {
            var mx = steady.Average(s => s.Minutes);
            var my = steady.Average(s => s.Mb);
            slope = steady.Sum(s => (s.Minutes - mx) * (s.Mb - my)) / steady.Sum(s => (s.Minutes - mx) * (s.Minutes - mx));
        }
        var sorted = latencies.Order().ToList();
        var p99 = sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, sorted.Count * 99 / 100)];
        return new SoakResult(Math.Round(slope, 2), Math.Round(samples.Max(s => s.Mb), 1), Math.Round(steady.FirstOrDefault().Mb, 1), Math.Round(samples[^1].Mb, 1),
            Math.Round(after, 1), Interlocked.Read(ref sent), Interlocked.Read(ref delivered), Math.Round(p99, 1));
    }

    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private Receiver(WebApplication app, string url) => (_app, Url) = (app, url);
        public string Url { get; }

        public static async Task<Receiver> StartAsync(RequestDelegate handle)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(handle);
            await app.StartAsync();
            return new Receiver(app, app.Urls.First().Replace("localhost", "127.0.0.1"));
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
