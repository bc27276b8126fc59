using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using WebhookConsole.Tests.TestSupport;
using Xunit.Abstractions;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>
/// Kills the console with SIGKILL while it delivers thousands of jobs, starts it again on the same
/// database, and shows every job reached the receiver at least once and none is stuck.
/// </summary>
[Collection(ProcessCollection.Name)]
public class CrashTests(ITestOutputHelper output)
{
    private const int Jobs = 3000;
    private const string Key = "wck_crash_test_key_0123456789abcdef";

    [Fact]
    public async Task Killing_the_process_mid_flight_loses_no_delivery()
    {
        var dir = Directory.CreateTempSubdirectory("wc-crash-");
        var db = Path.Combine(dir.FullName, "console.db");
        var port = Network.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";

        await using var receiver = await Receiver.StartAsync();
        var deliveries = new ConcurrentDictionary<string, int>();
        // The receiver says when the first tenth has arrived, so the kill lands mid-flight however fast delivery is.
        var midFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var url = receiver.On("/crash", async (ctx, _) =>
        {
            deliveries.AddOrUpdate(ctx.Request.Headers["webhook-id"].ToString(), 1, (_, n) => n + 1);
            // Past the first tenth, answers take a while (under the webhook's 2 s timeout), so the kill finds
            // requests sent and not yet recorded as well as jobs not yet sent.
            var slow = deliveries.Count >= Jobs / 10;
            if (slow) midFlight.TrySetResult();
            await Task.Delay(slow ? 300 : 5);
            ctx.Response.StatusCode = 200;
        });

        var first = ConsoleProcess.Start(output, baseUrl, ConsoleProcess.Sqlite(db), Key);
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri(baseUrl) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", Key);
            await ConsoleProcess.WaitReadyAsync(api, first);
            await ConsoleProcess.CreateWebhookAsync(api, "Crash receiver", "services", url, timeoutSeconds: 2);
            await ConsoleProcess.PostEventsAsync(api, "services", "crash", Jobs);

            // Mid-flight: some delivered, most not.
            await midFlight.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            first.Kill(entireProcessTree: true); // SIGKILL: no shutdown hooks, no flushing.
            await first.WaitForExitAsync();
        }
        var beforeRestart = deliveries.Count;
        output.WriteLine($"killed after {beforeRestart} of {Jobs} deliveries");
        Assert.True(beforeRestart < Jobs, "the kill came too late to prove anything; raise Jobs");

        var second = ConsoleProcess.Start(output, baseUrl, ConsoleProcess.Sqlite(db), Key);
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri(baseUrl) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", Key);
            await ConsoleProcess.WaitReadyAsync(api, second);
            await Eventually.WaitAsync(() => Task.FromResult(deliveries.Count), n => n >= Jobs, TimeSpan.FromSeconds(120), "every job to reach the receiver");
            // Let the last attempts be recorded, then check nothing is stuck.
            var (pending, succeeded, total) = await Eventually.WaitAsync(() => Task.FromResult(Count(db)), c => c.Pending == 0, TimeSpan.FromSeconds(30), "no Pending jobs");
            Assert.Equal(Jobs, total);
            Assert.Equal(Jobs, succeeded);
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }

        var twice = deliveries.Values.Count(n => n > 1);
        output.WriteLine($"{deliveries.Count} unique webhook-ids for {Jobs} jobs; {twice} delivered more than once (at-least-once: same webhook-id lets receivers de-duplicate)");
        Assert.Equal(Jobs, deliveries.Count);
        SqliteConnection.ClearAllPools();
        try { dir.Delete(recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// Three SIGKILLs at moments chosen by how far delivery has got, a restart on the same database after each:
    /// nothing is lost, delivery resumes within seconds of each start (leases of the killed process do not hold
    /// its jobs), every delivery the receiver got twice says so in its history (an attempt of unknown outcome), and
    /// none recorded from the outcome journal was sent again.
    /// </summary>
    [Fact]
    public async Task A_crash_loop_loses_nothing_resumes_at_once_and_marks_every_double_delivery()
    {
        const int Total = 3000;
        var dir = Directory.CreateTempSubdirectory("wc-crashloop-");
        var db = Path.Combine(dir.FullName, "console.db");
        var baseUrl = $"http://127.0.0.1:{Network.FreePort()}";
        await using var receiver = await Receiver.StartAsync();
        var deliveries = new ConcurrentDictionary<string, int>();
        var lastArrival = DateTime.MinValue;
        var url = receiver.On("/loop", async (ctx, _) =>
        {
            deliveries.AddOrUpdate(ctx.Request.Headers["webhook-id"].ToString(), 1, (_, n) => n + 1);
            lastArrival = DateTime.UtcNow;
            await Task.Delay(Random.Shared.Next(20, 120)); // so that every kill finds sends in flight
            ctx.Response.StatusCode = 200;
        });

        var process = ConsoleProcess.Start(output, baseUrl, ConsoleProcess.Sqlite(db), Key);
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri(baseUrl) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", Key);
            await ConsoleProcess.WaitReadyAsync(api, process);
            await ConsoleProcess.CreateWebhookAsync(api, "Crash loop receiver", "loop", url, timeoutSeconds: 5);
            await ConsoleProcess.PostEventsAsync(api, "loop", "loop", Total);

            foreach (var share in new[] { 0.2, 0.45, 0.7 })
            {
                await Eventually.WaitAsync(() => Task.FromResult(deliveries.Count), n => n >= Total * share, TimeSpan.FromSeconds(60), $"{share:P0} delivered");
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                var atKill = deliveries.Count;
                output.WriteLine($"killed at {atKill} of {Total}");
                await Task.Delay(300); // whatever was on the wire has arrived
                var stoppedAt = DateTime.UtcNow;

                var started = DateTime.UtcNow;
                process = ConsoleProcess.Start(output, baseUrl, ConsoleProcess.Sqlite(db), Key);
                await ConsoleProcess.WaitReadyAsync(api, process);
                if (atKill < Total)
                {
                    await Eventually.WaitAsync(() => Task.FromResult(lastArrival), t => t > stoppedAt, TimeSpan.FromSeconds(60), "a delivery after the restart");
                    var resumed = lastArrival - started;
                    output.WriteLine($"delivery resumed {resumed.TotalSeconds:0.0} s after the process was started again");
                    // Before: about 58 s (the leases of the killed process held its jobs until the next sweep).
                    Assert.True(resumed < TimeSpan.FromSeconds(20), $"delivery resumed only {resumed.TotalSeconds:0.0} s after the restart");
                }
            }
            await Eventually.WaitAsync(() => Task.FromResult(deliveries.Count), n => n >= Total, TimeSpan.FromSeconds(120), "every job to reach the receiver");
            await Eventually.WaitAsync(() => Task.FromResult(Count(db)), c => c.Pending == 0, TimeSpan.FromSeconds(30), "no Pending jobs");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var (pending, succeeded, total) = Count(db);
        Assert.Equal(Total, total);
        Assert.Equal(Total, succeeded);
        Assert.Equal(0, pending);
        Assert.Equal(Total, deliveries.Count);
        var twice = deliveries.Where(d => d.Value > 1).Select(d => Guid.Parse(d.Key)).ToList();
        var marked = InterruptedJobs(db);
        output.WriteLine($"{twice.Count} of {Total} delivered more than once ({100.0 * twice.Count / Total:0.0} %); {marked.Count} jobs carry an attempt of unknown outcome");
        Assert.All(twice, id => Assert.True(marked.Contains(id), $"job {id} reached the receiver twice and its history does not say so"));
        // What a killed process had heard back about but not committed is recorded from its outcome journal at the
        // restart, not sent again: such an attempt is its job's last, and the receiver got the job no more often
        // than the history has attempts (an earlier kill may have caught the same job in flight).
        var journaled = JobsWhere(db, $"Error = '{WebhookConsole.Dispatching.Ledger.JournalRecovery.Note.Replace("'", "''")}' AND Number = (SELECT AttemptCount FROM WebhookJobs WHERE Id = JobId)");
        output.WriteLine($"{journaled.Count} attempts were recorded from the outcome journal instead of being sent again");
        var attempts = AttemptCounts(db);
        Assert.All(journaled, id => Assert.True(deliveries[id.ToString()] <= attempts[id], $"job {id}: {deliveries[id.ToString()]} arrivals, {attempts[id]} attempts"));
        SqliteConnection.ClearAllPools();
        try { dir.Delete(recursive: true); } catch (IOException) { }
    }

    private static HashSet<Guid> InterruptedJobs(string db) => JobsWhere(db, "ErrorKind = 'Interrupted'");

    private static Dictionary<Guid, int> AttemptCounts(string db)
    {
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT JobId, count(*) FROM JobAttempts GROUP BY JobId";
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<Guid, int>();
        while (reader.Read()) counts[new Guid((byte[])reader[0], bigEndian: true)] = reader.GetInt32(1);
        return counts;
    }

    private static HashSet<Guid> JobsWhere(string db, string condition)
    {
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT DISTINCT JobId FROM JobAttempts WHERE {condition}";
        using var reader = command.ExecuteReader();
        var ids = new HashSet<Guid>();
        while (reader.Read()) ids.Add(new Guid((byte[])reader[0], bigEndian: true));
        return ids;
    }

    private static (int Pending, int Succeeded, int Total) Count(string db)
    {
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        connection.Open();
        int Scalar(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt32(command.ExecuteScalar());
        }
        return (Scalar("SELECT COUNT(*) FROM WebhookJobs WHERE Status = 'Pending'"), Scalar("SELECT COUNT(*) FROM WebhookJobs WHERE Status = 'Succeeded'"), Scalar("SELECT COUNT(*) FROM WebhookJobs"));
    }
}
