using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Search;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Retention;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>
/// Text search through the background word index: a job is found whether or not the indexer has reached it,
/// and what is indexed stays true when jobs are edited, purged or deleted.
/// </summary>
public sealed class JobSearchTests : IDisposable
{
    private readonly TestDatabase _database = new();
    private readonly JobsService _jobs;
    private readonly JobSearchIndexer _indexer;

    public JobSearchTests()
    {
        _jobs = new JobsService(_database, new HeldDeliveryQueue(), new WebhookConsole.Filtering.JintFilterEvaluator(Microsoft.Extensions.Options.Options.Create(new WebhookConsole.Filtering.FilteringOptions())), new AuditLog(TimeProvider.System), new DatabaseSettings(DatabaseProvider.Sqlite), TimeProvider.System);
        _indexer = new JobSearchIndexer(_database, new WriteGate(), NullLogger<JobSearchIndexer>.Instance);
    }

    public void Dispose() => _database.Dispose();

    private Guid AddJob(string body, DateTime? at = null, string? response = null)
    {
        var when = at ?? DateTime.UtcNow;
        using var db = _database.CreateDbContext();
        var job = new WebhookJob
        {
            Id = Guid.CreateVersion7(), WebhookId = Guid.NewGuid(), WebhookName = "h", EventType = "Submission", EventAction = "Submitted",
            Url = "https://r.example/hook", RequestBody = body, Status = response is null ? JobStatus.Succeeded : JobStatus.Failed, CreatedAt = when, UpdatedAt = when,
            Attempts = [new JobAttempt { Number = 1, StartedAt = when, Url = "https://r.example/hook", RequestBody = body, StatusCode = response is null ? 200 : 500,
                ResponseBody = response, ResponseBodyLength = response?.Length ?? 0 }],
        };
        db.WebhookJobs.Add(job);
        db.SaveChanges();
        return job.Id;
    }

    private async Task<List<Guid>> SearchAsync(string text, DateTime? from = null) =>
        (await _jobs.ListAsync(new JobQuery(Text: text, From: from))).Items.Select(j => j.Id).ToList();

    private Task<(long Jobs, long Attempts, long Changes)> BacklogAsync() => _indexer.BacklogAsync();

    [Fact]
    public async Task A_job_is_found_before_and_after_the_indexer_reaches_it_and_old_history_only_once_indexed()
    {
        var old = AddJob("""{"submission":{"id":"sub-000000042"}}""", DateTime.UtcNow.AddDays(-60));
        var recent = AddJob("""{"submission":{"id":"sub-000000043"}}""");
        Assert.Equal((2, 2, 0), await BacklogAsync());

        // Not indexed yet: the tail is scanned, within the default window.
        Assert.Equal([recent], await SearchAsync("sub-000000043"));
        Assert.Empty(await SearchAsync("sub-000000042"));

        Assert.Equal(4, await _indexer.CatchUpAsync());
        Assert.Equal((0, 0, 0), await BacklogAsync());
        Assert.Equal([recent], await SearchAsync("sub-000000043"));
        // Indexed, the 60-day-old job is found without a range: words are searched across all history.
        Assert.Equal([old], await SearchAsync("sub-000000042"));
        // The exact text still decides: the same words with other punctuation are not a match.
        Assert.Empty(await SearchAsync("sub 000000042"));
    }

    [Fact]
    public async Task Words_in_another_order_are_not_a_match_and_any_script_makes_a_valid_search()
    {
        var match = AddJob("""{"details":"the badge reader at the east entrance"}""", DateTime.UtcNow.AddDays(-30));
        AddJob("""{"details":"the reader of every badge at the east entrance"}""", DateTime.UtcNow.AddDays(-30));
        var accented = AddJob("""{"note":"Café ☕ naïve 日本語 — ok"}""", DateTime.UtcNow.AddDays(-30));
        await _indexer.CatchUpAsync();

        // Both old jobs hold both words; only one holds them as the search has them.
        Assert.Equal([match], await SearchAsync("badge reader"));
        Assert.Equal([match], await SearchAsync("badge reader at"));
        // Any script and symbol in the search makes a valid query (none of these are in the scanned window).
        Assert.Equal([accented], await SearchAsync("Café ☕ naïve 日本語"));
    }

    [Fact]
    public async Task Text_inside_a_word_is_found_by_scanning_the_last_seven_days()
    {
        var recent = AddJob("""{"email":"jane.doe@acme.example"}""");
        var old = AddJob("""{"email":"janet.doe@acme.example"}""", DateTime.UtcNow.AddDays(-30));
        await _indexer.CatchUpAsync();

        // "ane.do" starts and ends inside words: the index cannot have it, so the window is scanned.
        Assert.Equal([recent], await SearchAsync("ane.do"));
        Assert.Equal([recent], await SearchAsync("ane.doe@acme.example"));
        // With a range, the scan covers the range.
        Assert.Equal([recent, old], await SearchAsync("ane", DateTime.UtcNow.AddDays(-31)));
    }

    [Fact]
    public async Task Response_bodies_are_searched_indexed_or_not()
    {
        var failed = AddJob("{}", response: """{"error":"quota exceeded for tenant acme"}""");
        Assert.Equal([failed], await SearchAsync("quota exceeded"));
        await _indexer.CatchUpAsync();
        Assert.Equal([failed], await SearchAsync("quota exceeded"));
    }

    [Fact]
    public async Task An_edited_retry_is_found_by_its_new_text_and_no_longer_by_the_old()
    {
        var job = AddJob("""{"customer":"oldname"}""", DateTime.UtcNow.AddDays(-20));
        await _indexer.CatchUpAsync();
        Assert.Equal([job], await SearchAsync("oldname"));

        var result = await _jobs.RetryAsync(Actor.System, job, new RetryRequest(null, """{"customer":"newname"}"""));
        Assert.Equal(ActionStatus.Ok, result.Status);

        // Found by its new text at once (edited jobs are candidates until the indexer has re-indexed them)...
        Assert.Equal([job], await SearchAsync("newname"));
        Assert.Empty(await SearchAsync("oldname"));
        // ...and after it has.
        Assert.Equal(1, (await BacklogAsync()).Changes);
        await _indexer.CatchUpAsync();
        Assert.Equal((0, 0, 0), await BacklogAsync());
        Assert.Equal(1, IndexedCount("newname"));
        Assert.Equal(0, IndexedCount("oldname"));
        Assert.Equal([job], await SearchAsync("newname"));
    }

    [Fact]
    public async Task Purged_and_deleted_jobs_leave_the_index_and_a_reused_row_is_indexed_again()
    {
        var purged = AddJob("""{"ticket":"alpha"}""", DateTime.UtcNow.AddDays(-400), response: "alpha failed");
        var newest = AddJob("""{"ticket":"bravo"}""", DateTime.UtcNow.AddDays(-10));
        await _indexer.CatchUpAsync();
        Assert.Equal([purged], await SearchAsync("alpha", DateTime.UtcNow.AddDays(-500)));
        Assert.Equal(2, IndexedCount("alpha"));

        var retention = new RetentionService(_database, Options.Create(new RetentionOptions { Days = 180 }), TimeProvider.System, NullLogger<RetentionService>.Instance);
        Assert.Equal(1, (await retention.PurgeAsync(CancellationToken.None)).Jobs);
        Assert.Empty(await SearchAsync("alpha", DateTime.UtcNow.AddDays(-500)));
        Assert.Equal(2, (await BacklogAsync()).Changes);
        await _indexer.CatchUpAsync();
        Assert.Equal(0, IndexedCount("alpha"));

        // Deleting the newest job frees its rowid for the next insert: the mark comes down so that the new row,
        // which takes a rowid the index had passed, is indexed with its own text rather than left out.
        await using (var db = _database.CreateDbContext())
        {
            await db.WebhookJobs.Where(j => j.Id == newest).ExecuteDeleteAsync();
        }
        await _indexer.CatchUpAsync();
        Assert.Equal((0, 0, 0), await BacklogAsync());
        var reused = AddJob("""{"ticket":"charlie"}""", DateTime.UtcNow.AddDays(-10));
        Assert.Equal(1, (await BacklogAsync()).Jobs);
        await _indexer.CatchUpAsync();
        Assert.Equal([reused], await SearchAsync("charlie"));
        Assert.Equal(0, IndexedCount("bravo"));
        Assert.Empty(await SearchAsync("bravo"));
    }

    [Fact]
    public async Task A_missing_or_unreadable_index_file_means_scanning_until_it_is_built_again()
    {
        var job = AddJob("""{"ticket":"delta"}""", DateTime.UtcNow.AddDays(-20));
        var recent = AddJob("""{"ticket":"delta"}""");
        await _indexer.CatchUpAsync();
        Assert.Equal([recent, job], await SearchAsync("delta"));

        SqliteConnection.ClearAllPools();
        File.WriteAllText(IndexFile, "not a database");
        File.Delete(IndexFile + "-wal");
        // Unreadable: search still answers, from the window.
        Assert.Equal([recent], await SearchAsync("delta"));

        // The indexer builds it again from the start.
        Assert.Equal(4, await _indexer.CatchUpAsync());
        Assert.Equal([recent, job], await SearchAsync("delta"));

        File.Delete(IndexFile);
        Assert.Equal([recent], await SearchAsync("delta"));
        Assert.Equal(2, (await BacklogAsync()).Jobs);
        await _indexer.CatchUpAsync();
        Assert.Equal([recent, job], await SearchAsync("delta"));
    }

    private string IndexFile => JobSearch.IndexPath(_database.CreateDbContext().Database.GetConnectionString()!)!;

    /// <summary>How many rows of the index file hold the word (jobs and attempts).</summary>
    private long IndexedCount(string word)
    {
        using var connection = new SqliteConnection($"Data Source={IndexFile};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT count(*) FROM WebhookJobSearch WHERE WebhookJobSearch MATCH $w) + (SELECT count(*) FROM JobAttemptSearch WHERE JobAttemptSearch MATCH $w)
            """;
        command.Parameters.AddWithValue("$w", word);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task The_hosted_indexer_catches_up_in_the_background()
    {
        for (var i = 0; i < JobSearchIndexer.JobsPerSlice * 2 + 5; i++) AddJob($$"""{"n":{{i}}}""", DateTime.UtcNow.AddDays(-30));
        await _indexer.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.WaitAsync(BacklogAsync, b => b == (0, 0, 0), TimeSpan.FromSeconds(20), "the indexer to reach every job");
            Assert.Single(await SearchAsync("\"n\":260}"));
        }
        finally
        {
            await _indexer.StopAsync(CancellationToken.None);
        }
    }
}
