using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>
/// The jobs console's text search on PostgreSQL: the exact text, inside a word too, in URLs, request bodies and
/// answered response bodies, within the search window or the range given; LIKE's own characters taken literally.
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
}
