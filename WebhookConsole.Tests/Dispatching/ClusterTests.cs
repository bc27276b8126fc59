using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Npgsql;
using WebhookConsole.Tests.TestSupport;
using Xunit.Abstractions;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>
/// Three console processes on one PostgreSQL database and one Kestrel receiver: they share the work, a change made
/// through one is used by the others, and SIGKILL on one mid-flight loses no delivery.
/// </summary>
[Collection(ProcessCollection.Name)]
public class ClusterTests(ITestOutputHelper output)
{
    private const string Key = "wck_cluster_test_key_0123456789abcdef";
    private const int Total = 10_000;

    private sealed record Instance(string Name, string Url, Process Process, HttpClient Api);

    [Fact]
    public async Task Three_instances_share_the_work_see_each_others_changes_and_losing_one_loses_nothing()
    {
        var database = PostgresServer.NewDatabase(create: false);
        await using var receiver = await Receiver.StartAsync();
        var instances = new List<Instance>();
        try
        {
            // Started together on a database that does not exist yet: the migrations take turns under the advisory lock.
            foreach (var name in new[] { "a", "b", "c" })
            {
                var address = $"http://127.0.0.1:{Network.FreePort()}";
                var api = new HttpClient { BaseAddress = new Uri(address) };
                api.DefaultRequestHeaders.Authorization = new("Bearer", Key);
                instances.Add(new Instance(name, address, ConsoleProcess.Start(output, address, ConsoleProcess.Postgres(database), Key, name), api));
            }
            await Task.WhenAll(instances.Select(i => ConsoleProcess.WaitReadyAsync(i.Api, i.Process)));
            var (a, b, c) = (instances[0], instances[1], instances[2]);

            await AnEditOnOneInstanceIsUsedByAnotherWithinTwoSecondsAsync(receiver, a, b);

            var deliveries = new ConcurrentDictionary<string, int>();
            var url = receiver.On("/cluster", async (ctx, _) =>
            {
                deliveries.AddOrUpdate(ctx.Request.Headers["webhook-id"].ToString(), 1, (_, n) => n + 1);
                await Task.Delay(Random.Shared.Next(5, 40)); // so that the kill finds sends in flight
                ctx.Response.StatusCode = 200;
            });
            await ConsoleProcess.CreateWebhookAsync(a.Api, "Cluster receiver", "cluster", url, timeoutSeconds: 2);
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // the other instances' webhook indexes refresh within 2 s
            // Ingestion spread over the three: each writes its share, leased to itself.
            await Task.WhenAll(instances.Select((i, n) => ConsoleProcess.PostEventsAsync(i.Api, "cluster", i.Name, Total / 3 + (n == 0 ? Total % 3 : 0))));

            await Eventually.WaitAsync(() => Task.FromResult(deliveries.Count), n => n >= Total * 0.4, TimeSpan.FromSeconds(120), "40 % delivered");
            c.Process.Kill(entireProcessTree: true); // SIGKILL, mid-flight
            await c.Process.WaitForExitAsync();
            var killedPid = c.Process.Id;
            output.WriteLine($"killed instance c (pid {killedPid}) at {deliveries.Count} of {Total}");

            // Its leased jobs are taken up by the others once the leases (timeout + 10 s) run out.
            await Eventually.WaitAsync(() => Task.FromResult(deliveries.Count), n => n >= Total, TimeSpan.FromSeconds(180), "every webhook-id to arrive");
            await Eventually.WaitAsync(() => CountAsync(database, """SELECT count(*) FROM "WebhookJobs" WHERE "Status" = 'Pending'"""), n => n == 0, TimeSpan.FromSeconds(60), "no Pending jobs");

            Assert.Equal(Total, deliveries.Count);
            Assert.Equal(Total, await CountAsync(database, """SELECT count(*) FROM "WebhookJobs" j JOIN "Webhooks" w ON w."Id" = j."WebhookId" WHERE w."Name" = 'Cluster receiver' AND j."Status" = 'Succeeded'"""));
            var twice = deliveries.Where(d => d.Value > 1).Select(d => Guid.Parse(d.Key)).ToList();
            output.WriteLine($"{twice.Count} of {Total} delivered more than once ({100.0 * twice.Count / Total:0.00} %)");
            // Every double delivery says so in its history: an attempt of unknown outcome (the killed instance's).
            var marked = await IdsAsync(database, """SELECT DISTINCT "JobId" FROM "JobAttempts" WHERE "ErrorKind" = 'Interrupted'""");
            Assert.All(twice, id => Assert.Contains(id, marked));

            // Each instance delivered a share, the survivors the killed one's leftovers as well.
            var shares = await SharesAsync(database);
            foreach (var (instance, count) in shares) output.WriteLine($"{instance}: {count} attempts");
            foreach (var survivor in new[] { a, b })
            {
                Assert.True(shares.TryGetValue($"{Environment.MachineName}:{survivor.Process.Id}", out var share) && share > Total / 10,
                    $"instance {survivor.Name} delivered {share} attempts");
            }
            Assert.True(shares.GetValueOrDefault($"{Environment.MachineName}:{killedPid}") > 0, "the killed instance delivered nothing before it was killed");

            // The recurring jobs run once per period across the cluster, not once per instance.
            await Eventually.WaitAsync(() => RecoveryRunsAsync(database), runs => runs.Count > 0, TimeSpan.FromSeconds(75), "a recovery sweep");
            var perMinute = await RecoveryRunsAsync(database);
            output.WriteLine($"recovery sweeps per minute: {string.Join(", ", perMinute.Select(m => $"{m.Key:HH:mm} {m.Value}"))}");
            Assert.All(perMinute, m => Assert.Equal(1, m.Value));
        }
        finally
        {
            foreach (var i in instances)
            {
                if (!i.Process.HasExited) i.Process.Kill(entireProcessTree: true);
                await i.Process.WaitForExitAsync();
                i.Api.Dispose();
            }
            PostgresServer.DropDatabase(database);
        }
    }

    /// <summary>A webhook moved to a new path through instance A: an event given to instance B two seconds later goes to the new path.</summary>
    private static async Task AnEditOnOneInstanceIsUsedByAnotherWithinTwoSecondsAsync(Receiver receiver, Instance a, Instance b)
    {
        var before = receiver.Status("/edit-before", 200);
        var after = receiver.Status("/edit-after", 200);
        var id = await ConsoleProcess.CreateWebhookAsync(a.Api, "Moved receiver", "moved", before, timeoutSeconds: 2);
        await ConsoleProcess.PostEventsAsync(b.Api, "moved", "first", 1);
        await Eventually.WaitAsync(() => Task.FromResult(receiver.To("/edit-before").Count), n => n == 1, TimeSpan.FromSeconds(10), "the first event at the old path");

        var moved = await a.Api.PutAsJsonAsync($"/api/v1/webhooks/{id}", new { url = after });
        moved.EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await ConsoleProcess.PostEventsAsync(b.Api, "moved", "second", 1);
        await Eventually.WaitAsync(() => Task.FromResult(receiver.To("/edit-after").Count), n => n == 1, TimeSpan.FromSeconds(10), "the event after the edit at the new path");
        Assert.Single(receiver.To("/edit-before"));
    }

    private static async Task<long> CountAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static async Task<HashSet<Guid>> IdsAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<Guid>();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids;
    }

    private static async Task<Dictionary<string, long>> SharesAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT "Instance", count(*) FROM "JobAttempts" WHERE "Instance" IS NOT NULL GROUP BY "Instance" """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var shares = new Dictionary<string, long>();
        while (await reader.ReadAsync()) shares[reader.GetString(0)] = reader.GetInt64(1);
        return shares;
    }

    /// <summary>How many recovery sweeps Hangfire created in each minute (its jobs live in the database's hangfire schema).</summary>
    private static async Task<Dictionary<DateTime, long>> RecoveryRunsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """SELECT date_trunc('minute', createdat), count(*) FROM hangfire.job WHERE invocationdata::text LIKE '%RecoveryJob%' GROUP BY 1""", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var runs = new Dictionary<DateTime, long>();
        while (await reader.ReadAsync()) runs[reader.GetDateTime(0)] = reader.GetInt64(1);
        return runs;
    }
}
