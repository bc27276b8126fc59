using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Search;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Jobs;

/// <summary>With 200,000 jobs, every page the console shows is read through an index, at any depth.</summary>
public sealed class JobQueryPlanTests : IClassFixture<JobQueryPlanTests.Data>
{
    private const int Rows = 200_000;
    private static readonly Guid Webhook = Guid.Parse("01900000-0000-7000-8000-000000000007");

    public sealed class Data : IDisposable
    {
        public TestDatabase Db { get; } = new();

        public Data()
        {
            // Rows go through the console's own model and bulk writer, so ids, times and statuses are stored as
            // the console stores them.
            using (var db = Db.CreateDbContext())
            {
                var start = DateTime.UtcNow.AddDays(-60);
                JobStatus[] statuses = [JobStatus.Succeeded, JobStatus.Succeeded, JobStatus.Succeeded, JobStatus.Failed, JobStatus.Pending, JobStatus.Received, JobStatus.Abandoned];
                var jobs = new List<WebhookJob>(Rows);
                for (var i = 0; i < Rows; i++)
                {
                    var at = start.AddSeconds(i * 25);
                    jobs.Add(new WebhookJob
                    {
                        Id = Guid.CreateVersion7(), WebhookId = i % 50 == 0 ? Webhook : Guid.CreateVersion7(), WebhookName = "hook",
                        EventType = "Submission", EventAction = "Submitted", Url = "https://r.example/x", RequestHeaders = [],
                        RequestBody = $"{{\"n\":{i}}}", Status = statuses[i % statuses.Length], AttemptCount = 1,
                        CreatedAt = at, UpdatedAt = at, LastStatusCode = i % 7 == 3 ? 500 : 200, Summary = "x",
                    });
                }
                using var tx = db.Database.BeginTransaction();
                db.InsertAsync(jobs).GetAwaiter().GetResult();
                tx.Commit();
            }
            // The word index as the background indexer leaves it once it has caught up.
            new JobSearchIndexer(Db, new WriteGate(), Microsoft.Extensions.Logging.Abstractions.NullLogger<JobSearchIndexer>.Instance).CatchUpAsync().GetAwaiter().GetResult();
            using var connection = new SqliteConnection(Db.CreateDbContext().Database.GetConnectionString());
            connection.Open();
            using var analyze = connection.CreateCommand();
            analyze.CommandText = "ANALYZE";
            analyze.ExecuteNonQuery();
        }

        public void Dispose() => Db.Dispose();
    }

    private readonly Data _data;
    private readonly JobsService _jobs;

    public JobQueryPlanTests(Data data)
    {
        _data = data;
        _jobs = new JobsService(data.Db, new HeldDeliveryQueue(), new WebhookConsole.Filtering.JintFilterEvaluator(Microsoft.Extensions.Options.Options.Create(new WebhookConsole.Filtering.FilteringOptions())), new AuditLog(TimeProvider.System), new DatabaseSettings(DatabaseProvider.Sqlite), TimeProvider.System);
    }


    private string Plan(JobQuery q, bool indexed = false)
    {
        using var db = _data.Db.CreateDbContext();
        if (indexed) Assert.True(JobSearch.TryAttachAsync(db).GetAwaiter().GetResult());
        return Explain(db, _jobs.ListQuery(db, q, 51, indexed).CreateDbCommand());
    }

    private static string Explain(AppDbContext db, DbCommand query)
    {
        using var command = query;
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        db.Database.OpenConnection();
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read()) lines.Add(reader.GetString(3));
        return string.Join(" | ", lines);
    }

    private static void AssertIndexed(string plan, string index, bool allowSort = false)
    {
        Assert.Contains($"USING INDEX {index}", plan);
        // No step reads the table without an index (a full scan of 200,000 rows).
        Assert.DoesNotContain(plan.Split(" | "), step => step.StartsWith("SCAN ") && !step.Contains("INDEX"));
        if (!allowSort) Assert.DoesNotContain("TEMP B-TREE", plan);
    }

    [Fact]
    public void The_lanes_poll_reads_the_partial_index_of_pending_jobs()
    {
        using var db = _data.Db.CreateDbContext();
        AssertIndexed(Explain(db, DeliveryStore.DueJobs(db, DateTime.UtcNow).Take(500).CreateDbCommand()), "IX_WebhookJobs_Pending_NextAttemptAt_Id");
    }

    [Fact]
    public void All_history_first_page_reads_the_created_index_in_order() =>
        AssertIndexed(Plan(new JobQuery()), "IX_WebhookJobs_CreatedAt_Id");

    [Fact]
    public void Failures_first_page_uses_the_status_index() =>
        AssertIndexed(Plan(new JobQuery(Status: JobStatus.Failed)), "IX_WebhookJobs_Status_CreatedAt_Id");

    [Fact]
    public void A_webhook_filter_uses_the_webhook_index() =>
        AssertIndexed(Plan(new JobQuery(Status: JobStatus.Failed, WebhookId: Webhook)), "IX_WebhookJobs_");

    [Fact]
    public async Task Paging_deep_into_the_list_seeks_instead_of_skipping()
    {
        string? token = null;
        for (var page = 0; page < 50; page++) token = (await _jobs.ListAsync(new JobQuery(Status: JobStatus.Failed, Limit: 50, PageToken: token))).NextPageToken;
        var plan = Plan(new JobQuery(Status: JobStatus.Failed, PageToken: token));
        AssertIndexed(plan, "IX_WebhookJobs_Status_CreatedAt_Id");
        Assert.Contains("CreatedAt<", plan.Replace(" ", ""));
        var deep = await _jobs.ListAsync(new JobQuery(Status: JobStatus.Failed, Limit: 50, PageToken: token));
        Assert.Equal(50, deep.Items.Count);
        Assert.True(deep.Items.Zip(deep.Items.Skip(1)).All(p => p.First.CreatedAt >= p.Second.CreatedAt));
    }

    [Fact]
    public void Pending_tab_reads_through_the_status_index()
    {
        var plan = Plan(new JobQuery(Statuses: [JobStatus.Pending, JobStatus.Received]));
        // IN (Pending, Received) reads two index ranges and merges them: a small sort of one page's worth.
        AssertIndexed(plan, "IX_WebhookJobs_Status", allowSort: true);
    }

    [Fact]
    public async Task Text_search_finds_words_through_the_index_and_text_inside_words_by_scanning_the_window()
    {
        // Words: candidates come from the word index by rowid, never from a scan of the jobs.
        var plan = Plan(new JobQuery(Text: "\"n\":199999"), indexed: true);
        Assert.Contains("VIRTUAL TABLE INDEX", plan);
        Assert.DoesNotContain(plan.Split(" | "), step => step.StartsWith("SCAN WebhookJobs", StringComparison.Ordinal) && !step.Contains("INDEX"));
        // The rows the indexer has not reached are read from its mark by rowid, not through the window's index.
        Assert.Equal(2, plan.Split(" | ").Count(step => step.EndsWith("USING INTEGER PRIMARY KEY (rowid>?)", StringComparison.Ordinal)));
        Assert.DoesNotContain("IX_WebhookJobs_CreatedAt_Id", plan);
        Assert.DoesNotContain("SCAN a USING", plan);
        Assert.Single((await _jobs.ListAsync(new JobQuery(Text: "\"n\":199999"))).Items);
        // Older than the default window, still found: the index covers all history.
        Assert.Single((await _jobs.ListAsync(new JobQuery(Text: "\"n\":10}"))).Items);

        // Text inside a word is not in the index: the window is scanned through the created index instead,
        // and anything older needs a range.
        var scan = Plan(new JobQuery(Text: "99999"));
        Assert.Contains("IX_WebhookJobs_CreatedAt_Id", scan);
        Assert.Contains("CreatedAt>", scan.Replace(" ", ""));
        Assert.Single((await _jobs.ListAsync(new JobQuery(Text: "99999"))).Items);
        Assert.DoesNotContain((await _jobs.ListAsync(new JobQuery(Text: "0001}", Limit: 500))).Items, j => j.CreatedAt < DateTime.UtcNow.AddDays(-8));
        Assert.Contains((await _jobs.ListAsync(new JobQuery(Text: "0001}", From: DateTime.UtcNow.AddDays(-61)))).Items, j => j.CreatedAt < DateTime.UtcNow.AddDays(-50));
    }
}
