using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Search;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Features.Jobs;
using WebhookConsole.Payloads;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>
/// Payload texts stored compressed on SQLite: every text reads back exactly, a platform payload takes about half
/// its bytes, rows written as text before still read and are found by search, and frames written today stay
/// readable (the dictionary is frozen).
/// </summary>
public sealed class PayloadTextTests : IDisposable
{
    private readonly TestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    /// <summary>A submission's body as the Kinetic format sends it: ~1 KB, values the dictionary has never seen.</summary>
    private static string PlatformBody(int seq)
    {
        var context = SampleEvents.Context("Submission", "facilities", "badge-request");
        context["submission"]!["id"] = $"sub-{seq:D9}";
        context["submission"]!["values"] = new System.Text.Json.Nodes.JsonObject
        {
            ["Requested For"] = "Jane Doe", ["Location"] = "Building 4, floor 2", ["Badge"] = $"B-{seq * 7919 % 100000:D5}",
            ["Details"] = $"Reader {seq} at the east entrance refuses every badge since this morning; please send someone before the afternoon shift.",
        };
        return context.ToJsonString();
    }

    public static TheoryData<string> Texts() => new()
    {
        "",
        "{}",
        "plain text that is not JSON at all, long enough to be worth compressing: plain text that is not JSON at all",
        "{\"note\":\"Grüße aus Köln — 東京の受付 — emoji 🚀🚀🚀 and a lone \\ud83d escape, twice: Grüße aus Köln — 東京の受付\"}",
        PlatformBody(42),
        string.Concat(Enumerable.Repeat(PlatformBody(7), 200)),
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Every_text_reads_back_exactly(string text)
    {
        var stored = PayloadText.Encode(text);
        Assert.Equal(text, PayloadText.Decode(stored));
        Assert.True(stored.Length <= Encoding.UTF8.GetByteCount(text), "Stored no larger than its UTF-8.");
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void The_contains_test_search_uses_agrees_with_the_text_itself(string text)
    {
        var stored = PayloadText.Encode(text);
        foreach (var probe in new[] { "Köln", "東京", "🚀", "sub-000000042", "Reader 7 at", "}}", "not there at all", "plain text that" })
        {
            Assert.Equal(text.Contains(probe, StringComparison.Ordinal), PayloadText.Contains(stored, probe));
        }
    }

    [Fact]
    public void A_platform_payload_is_stored_in_about_half_its_bytes_and_text_that_does_not_shrink_is_stored_as_it_is()
    {
        var body = PlatformBody(1234);
        var stored = PayloadText.Encode(body);
        Assert.True(PayloadText.IsCompressed(stored));
        Assert.InRange(stored.Length, 1, Encoding.UTF8.GetByteCount(body) * 6 / 10);

        // Random bytes in base64 have nothing to find: kept as plain UTF-8, which is what rows held before.
        var noise = Convert.ToBase64String(RandomNumberGenerator.GetBytes(300));
        var plain = PayloadText.Encode(noise);
        Assert.False(PayloadText.IsCompressed(plain));
        Assert.Equal(Encoding.UTF8.GetBytes(noise), plain);
    }

    /// <summary>
    /// Written by this build on 2026-12-06 and kept here: if the dictionary file or the library changes so that
    /// such a frame no longer reads, every database written since cannot be read. Add a new dictionary instead.
    /// </summary>
    [Fact]
    public void Frames_written_with_the_first_dictionary_stay_readable()
    {
        Assert.Equal("02ca9c990dcac83c64a4387d8735e034269be71aba9cce8592bb2fc43b321001", Convert.ToHexStringLower(SHA256.HashData(PayloadText.Dictionary)));
        Assert.Equal(FrozenText, PayloadText.Decode(Convert.FromHexString(FrozenFrame)));
    }

    private const string FrozenText = """{"space":{"slug":"acme","name":"ACME"},"submission":{"id":"sub-000000042","coreState":"Submitted","values":{"Requested For":"Jane Doe"}}}""";
    private const string FrozenFrame = "28B52FFD2089550100987B7375622D30344A616E6520446F65227D7D7D07002EEBB03303CE578555B2B8B8414B08258E24C515";

    [Fact]
    public async Task Jobs_and_events_are_stored_compressed_and_rows_written_as_text_before_still_read_and_are_found()
    {
        var now = DateTime.UtcNow;
        Guid NewJob(string body)
        {
            using var db = _database.CreateDbContext();
            var job = new WebhookJob
            {
                Id = Guid.CreateVersion7(), WebhookId = Guid.NewGuid(), WebhookName = "h", EventType = "Submission", EventAction = "Submitted",
                Url = "https://r.example/hook", RequestBody = body, Status = JobStatus.Succeeded, CreatedAt = now, UpdatedAt = now,
            };
            db.WebhookJobs.Add(job);
            db.SaveChanges();
            return job.Id;
        }
        var compressed = NewJob(PlatformBody(1));
        var legacy = NewJob("placeholder");
        var eventId = Guid.CreateVersion7();
        using (var db = _database.CreateDbContext())
        {
            db.Events.Add(new Event { Id = eventId, Type = "Submission", Action = "Submitted", ContextJson = PlatformBody(3), OccurredAt = now, ReceivedAt = now });
            db.SaveChanges();
            // As the console stored bodies before: TEXT.
            await db.Database.ExecuteSqlRawAsync("""UPDATE "WebhookJobs" SET "RequestBody" = CAST({0} AS TEXT) WHERE "Id" = {1}""", PlatformBody(2), legacy.ToByteArray(true));
        }

        using (var connection = new SqliteConnection(_database.ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """SELECT typeof("RequestBody") FROM "WebhookJobs" ORDER BY rowid""";
            using (var reader = command.ExecuteReader())
            {
                Assert.True(reader.Read());
                Assert.Equal("blob", reader.GetString(0));
                Assert.True(reader.Read());
                Assert.Equal("text", reader.GetString(0));
            }
            command.CommandText = """SELECT typeof("ContextJson"), length("ContextJson") FROM "Events" """;
            using (var reader = command.ExecuteReader())
            {
                Assert.True(reader.Read());
                Assert.Equal("blob", reader.GetString(0));
                Assert.True(reader.GetInt64(1) < Encoding.UTF8.GetByteCount(PlatformBody(3)) * 6 / 10);
            }
        }

        using (var db = _database.CreateDbContext())
        {
            Assert.Equal(PlatformBody(1), (await db.WebhookJobs.SingleAsync(j => j.Id == compressed)).RequestBody);
            Assert.Equal(PlatformBody(2), (await db.WebhookJobs.SingleAsync(j => j.Id == legacy)).RequestBody);
            Assert.Equal(PlatformBody(3), (await db.Events.SingleAsync(e => e.Id == eventId)).ContextJson);
        }

        // Search reads the text in SQL: before the word index has the rows (the tail is scanned) and after.
        var jobs = new JobsService(_database, new HeldDeliveryQueue(), new WebhookConsole.Filtering.JintFilterEvaluator(Microsoft.Extensions.Options.Options.Create(new WebhookConsole.Filtering.FilteringOptions())),
            new AuditLog(TimeProvider.System), new DatabaseSettings(DatabaseProvider.Sqlite), TimeProvider.System);
        async Task<List<Guid>> Search(string text) => (await jobs.ListAsync(new JobQuery(Text: text))).Items.Select(j => j.Id).ToList();
        async Task AssertFound()
        {
            Assert.Equal([compressed], await Search("Reader 1 at the east"));
            Assert.Equal([legacy], await Search("sub-000000002"));
            // Starts inside a word: not in the word index, so only the scan's exact-text check finds it.
            Assert.Equal([legacy], await Search("ub-000000002"));
            Assert.Empty(await Search("Reader 1 at the west"));
        }
        await AssertFound();
        var indexer = new JobSearchIndexer(_database, new WriteGate(), NullLogger<JobSearchIndexer>.Instance);
        Assert.True(await indexer.CatchUpAsync() >= 2);
        Assert.Equal((0, 0, 0), await indexer.BacklogAsync());
        await AssertFound();
    }
}
