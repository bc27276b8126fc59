using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Postgres;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>
/// The jobs console's text search on PostgreSQL: words through the word index across all history, the exact text
/// inside a word too within the search window or the range given, in URLs, request bodies and answered response
/// bodies; LIKE's own characters taken literally.
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

    /// <summary>Runs the background indexer's slices until the queue is empty.</summary>
    private async Task IndexAllAsync()
    {
        await using var db = _database.CreateDbContext();
        while (await PostgresSearchIndexer.IndexSliceAsync(db, 1_000, CancellationToken.None) > 0)
        {
        }
    }

    private async Task<List<Guid>> SearchAsync(string text) => (await _jobs.ListAsync(new JobQuery(Text: text))).Items.Select(j => j.Id).ToList();

    [Fact]
    public async Task Text_inside_a_word_is_found_in_urls_bodies_and_responses_within_the_window_or_the_range()
    {
        var old = AddJob("""{"submission":{"id":"sub-000000042"}}""", DateTime.UtcNow.AddDays(-90));
        var recent = AddJob("""{"submission":{"id":"sub-000000043"}}""", DateTime.UtcNow, url: "https://r.example/rooms/b12-west");
        var answered = AddJob("{}", DateTime.UtcNow.AddDays(-3), response: """{"error":"quota exceeded for tenant-7781"}""");

        Assert.Equal([recent], await SearchAsync("12-wes"));
        Assert.Equal([recent], await SearchAsync("00000043"));
        Assert.Equal([answered], await SearchAsync("nant-778"));
        // Older than the window: found when the range reaches it.
        Assert.Empty(await SearchAsync("00000042"));
        Assert.Equal([old], (await _jobs.ListAsync(new JobQuery(Text: "00000042", From: DateTime.UtcNow.AddDays(-100)))).Items.Select(j => j.Id).ToList());
        // The exact text decides: the same characters with other punctuation are not a match.
        Assert.Empty(await SearchAsync("sub 000000043"));
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
    public async Task Words_are_found_across_all_history_in_their_order_through_the_word_index()
    {
        var yearOld = AddJob("""{"values":{"Details":"The badge reader at the east entrance blinks red"}}""", DateTime.UtcNow.AddDays(-365));
        var answered = AddJob("{}", DateTime.UtcNow.AddDays(-200), response: """{"error":"Mailbox quota exceeded"}""");
        var byUrl = AddJob("{}", DateTime.UtcNow.AddDays(-100), url: "https://hooks.example/facilities/east-wing");

        await IndexAllAsync();
        Assert.Equal([yearOld], await SearchAsync("badge reader"));
        Assert.Equal([yearOld], await SearchAsync("reader at the east"));
        Assert.Equal([answered], await SearchAsync("quota exceeded"));
        Assert.Equal([byUrl], await SearchAsync("facilities/east-wing"));
        // The words in another order are not the text searched for.
        Assert.Empty(await SearchAsync("reader badge"));

        // A job the indexer has not reached yet is found too (its text is scanned), as are old ones meanwhile.
        var fresh = AddJob("""{"values":{"Details":"The badge reader at the west entrance"}}""", DateTime.UtcNow);
        Assert.Equal([fresh, yearOld], await SearchAsync("badge reader"));
        Assert.Equal([fresh], await SearchAsync("west entrance"));
    }

    [Fact]
    public async Task An_edited_job_is_found_by_its_new_text_and_a_purged_one_leaves_no_words_behind()
    {
        var id = AddJob("""{"note":"first draft"}""", DateTime.UtcNow.AddDays(-30));
        await IndexAllAsync();
        Assert.Equal([id], await SearchAsync("first draft"));
        await using (var db = _database.CreateDbContext())
        {
            var job = await db.WebhookJobs.SingleAsync(j => j.Id == id);
            job.OriginalRequestBody = job.RequestBody;
            job.RequestBody = """{"note":"second version"}""";
            await db.SaveChangesAsync();
        }
        await IndexAllAsync();
        Assert.Equal([id], await SearchAsync("second version"));
        Assert.Empty(await SearchAsync("first draft"));

        await using (var db = _database.CreateDbContext())
        {
            var documents = db.Database.SqlQueryRaw<int>("""SELECT count(*)::int AS "Value" FROM "JobSearchDocuments" """);
            Assert.Equal(1, await documents.SingleAsync());
            await db.WebhookJobs.Where(j => j.Id == id).ExecuteDeleteAsync();
            Assert.Equal(0, await documents.SingleAsync());
        }
    }

    [Fact]
    public async Task A_word_search_reads_the_word_index_not_the_jobs()
    {
        await using var db = _database.CreateDbContext();
        // 20,000 jobs over a year (the triggers index them as they are inserted); one of them holds a rare word.
        // (Braces doubled: the raw SQL is a format string.)
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "WebhookJobs" ("Id", "WebhookId", "WebhookName", "EventType", "EventAction", "Url", "RequestHeaders", "RequestBody",
                "Status", "AttemptCount", "IsTest", "CreatedAt", "UpdatedAt")
            SELECT gen_random_uuid(), gen_random_uuid(), 'h', 'Submission', 'Submitted', 'https://r.example/hook', '',
                '{{"submission":{{"id":"sub-' || n || '"}},"values":{{"Details":"' || CASE WHEN n = 777 THEN 'zanzibar' ELSE 'badge reader' END || '"}}}}',
                'Succeeded', 1, false, 639000000000000000 + n * 15768000000, 639000000000000000 + n * 15768000000
            FROM generate_series(1, 20000) AS n;
            """);
        await IndexAllAsync();
        await db.Database.ExecuteSqlRawAsync("""ANALYZE "WebhookJobs"; ANALYZE "JobSearchDocuments"; ANALYZE "JobSearchQueue";""");
        await using var command = _jobs.ListQuery(db, new JobQuery(Text: "zanzibar"), 51, indexed: true).CreateDbCommand();
        var plan = await PostgresTestDatabase.ExplainAsync(command);
        Assert.Contains("IX_JobSearchDocuments_Words", plan);
        Assert.DoesNotContain("Seq Scan on \"WebhookJobs\"", plan);
        Assert.Single((await _jobs.ListAsync(new JobQuery(Text: "zanzibar"))).Items);
    }

    [Fact]
    public async Task The_background_indexer_empties_the_queue_into_the_word_index()
    {
        var indexer = new PostgresSearchIndexer(_database, new WebhookConsole.Data.Sqlite.WriteGate(), Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresSearchIndexer>.Instance);
        await indexer.StartAsync(CancellationToken.None);
        try
        {
            var id = AddJob("""{"values":{"Details":"indexed while the console runs"}}""", DateTime.UtcNow.AddDays(-60));
            await using var db = _database.CreateDbContext();
            var queued = db.Database.SqlQueryRaw<int>("""SELECT count(*)::int AS "Value" FROM "JobSearchQueue" """);
            await Eventually.WaitAsync(() => queued.SingleAsync(), n => n == 0, TimeSpan.FromSeconds(15), "the queue to be indexed");
            Assert.Equal([id], await SearchAsync("while the console runs"));
        }
        finally
        {
            await indexer.StopAsync(CancellationToken.None);
        }
    }
}
