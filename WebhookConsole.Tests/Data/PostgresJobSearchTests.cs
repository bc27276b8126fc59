using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>
/// The jobs console's text search on PostgreSQL: trigram indexes find text anywhere in the history, inside a
/// word too, with LIKE's own characters taken literally.
/// </summary>
public sealed class PostgresJobSearchTests : IDisposable
{
    private readonly PostgresTestDatabase _database = new();
    private readonly JobsService _jobs;

    public PostgresJobSearchTests()
    {
        _jobs = new JobsService(_database, new HeldDeliveryQueue(), new WebhookConsole.Filtering.JintFilterEvaluator(Microsoft.Extensions.Options.Options.Create(new WebhookConsole.Filtering.FilteringOptions())),
            new AuditLog(TimeProvider.System), new DatabaseSettings(DatabaseProvider.Postgres), TimeProvider.System);
    }

    public void Dispose() => _database.Dispose();

    private Guid AddJob(string body, DateTime at, string url = "https://r.example/hook", string? response = null)
    {
        using var db = _database.CreateDbContext();
        var job = new WebhookJob
        {
            Id = Guid.CreateVersion7(), WebhookId = Guid.NewGuid(), WebhookName = "h", EventType = "Submission", EventAction = "Submitted",
            Url = url, RequestBody = body, Status = response is null ? JobStatus.Succeeded : JobStatus.Failed, CreatedAt = at, UpdatedAt = at,
            Attempts = [new JobAttempt { Number = 1, StartedAt = at, StatusCode = response is null ? 200 : 500, ResponseBody = response, ResponseBodyLength = response?.Length ?? 0 }],
        };
        db.WebhookJobs.Add(job);
        db.SaveChanges();
        return job.Id;
    }

    private async Task<List<Guid>> SearchAsync(string text) => (await _jobs.ListAsync(new JobQuery(Text: text))).Items.Select(j => j.Id).ToList();

    [Fact]
    public async Task Text_inside_a_word_is_found_across_all_history_in_urls_bodies_and_responses()
    {
        var old = AddJob("""{"submission":{"id":"sub-000000042"}}""", DateTime.UtcNow.AddDays(-90));
        var recent = AddJob("""{"submission":{"id":"sub-000000043"}}""", DateTime.UtcNow, url: "https://r.example/rooms/b12-west");
        var answered = AddJob("{}", DateTime.UtcNow.AddDays(-30), response: """{"error":"quota exceeded for tenant-7781"}""");

        // A fragment of a word, 90 days back, with no range given (SQLite scans only the last 7 days for it).
        Assert.Equal([old], await SearchAsync("00000042"));
        Assert.Equal([recent], await SearchAsync("12-wes"));
        Assert.Equal([answered], await SearchAsync("nant-778"));
        // The exact text decides: the same characters with other punctuation are not a match.
        Assert.Empty(await SearchAsync("sub 000000042"));
    }

    [Fact]
    public async Task Percent_underscore_and_backslash_are_taken_literally()
    {
        var now = DateTime.UtcNow;
        var percent = AddJob("""{"discount":"50%_off"}""", now);
        AddJob("""{"discount":"50 off"}""", now);
        var backslash = AddJob("""{"path":"C:\\temp"}""", now);

        Assert.Equal([percent], await SearchAsync("50%_"));
        Assert.Empty(await SearchAsync("5_%"));
        Assert.Equal([backslash], await SearchAsync("C:\\\\temp"));
    }

    [Fact]
    public async Task At_scale_the_search_reads_the_trigram_indexes_not_the_history_in_order()
    {
        // 200,000 jobs over 90 days, written by the server itself; one of them holds the text.
        await using var db = _database.CreateDbContext();
        var ticksPerMinute = TimeSpan.TicksPerMinute;
        var start = DateTime.UtcNow.AddDays(-90).Ticks;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "WebhookJobs" ("Id", "WebhookId", "WebhookName", "EventType", "EventAction", "Url", "RequestHeaders", "RequestBody", "Status", "AttemptCount", "IsTest", "CreatedAt", "UpdatedAt")
            SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001', 'h', 'Submission', 'Submitted', 'https://r.example/hook/' || n,
                   '', json_build_object('submission', json_build_object('id', 'sub-' || lpad(n::text, 9, '0'), 'values', json_build_object('Room', 'B' || (n % 97))))::text, 'Succeeded', 1, false,
                   {start} + n * {ticksPerMinute / 2}, {start} + n * {ticksPerMinute / 2}
            FROM generate_series(1, 200000) AS n
            """);
        var needle = AddJob("""{"error":"quota exceeded for tenant-7781"}""", DateTime.UtcNow.AddDays(-45));
        await db.Database.ExecuteSqlRawAsync("""ANALYZE "WebhookJobs"; ANALYZE "JobAttempts";""");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal([needle], await SearchAsync("tenant-7781"));
        Assert.Equal([needle], await SearchAsync("ant-77"));
        watch.Stop();

        var plan = await PlanAsync(db, _jobs.ListQuery(db, new JobQuery(Text: "tenant-7781"), 51).ToQueryString());
        Assert.Contains("IX_WebhookJobs_RequestBody_Trigram", plan);
        Assert.Contains("IX_WebhookJobs_Url_Trigram", plan);
        // Timing belongs to the benchmark; the plan is what this test holds to. Reported for the reader.
        Console.WriteLine($"two searches over 200,000 jobs: {watch.ElapsedMilliseconds} ms\n{plan}");
    }

    /// <summary>EXPLAIN of a query as EF prints it (its parameters as "-- @name='value'" comments above the statement, bound here inline).</summary>
    private static async Task<string> PlanAsync(AppDbContext db, string sql)
    {
        var lines = sql.Split('\n');
        var statement = string.Join("\n", lines.Where(l => !l.StartsWith("--", StringComparison.Ordinal)));
        foreach (var line in lines.Where(l => l.StartsWith("-- ", StringComparison.Ordinal) && l.Contains('=')))
        {
            var (name, value) = (line[3..line.IndexOf('=')].TrimStart('@'), line[(line.IndexOf('=') + 1)..]);
            statement = System.Text.RegularExpressions.Regex.Replace(statement, "@" + System.Text.RegularExpressions.Regex.Escape(name) + @"\b", value.Replace("$", "$$"));
        }
        var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync();
        var plan = new List<string>();
        await using var explain = new Npgsql.NpgsqlCommand("EXPLAIN " + statement, connection);
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        return string.Join("\n", plan);
    }
}
