using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>The hot paths write through <see cref="BulkWriter"/>; what it stores must be what EF would have stored.</summary>
public sealed class BulkWriterTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private static WebhookJob Job(Guid id) => new()
    {
        Id = id,
        WebhookId = Guid.NewGuid(),
        EventId = Guid.NewGuid(),
        WebhookName = "Ünïcode 'quoted' name",
        EventType = "Submission",
        EventAction = "Submitted",
        Url = "https://receiver.example/hook?a=1&b=2",
        RequestHeaders = [new HeaderEntry("Content-Type", "application/json"), new HeaderEntry("X-Team", "Facilities")],
        RequestBody = """{"data":{"values":{"Room":"B12"}}}""",
        Status = JobStatus.Pending,
        NextAttemptAt = new DateTime(2026, 11, 22, 10, 11, 12, 345, DateTimeKind.Utc).AddTicks(6789),
        PendingTrigger = AttemptTrigger.Edited,
        PendingTriggeredBy = "ann@acme.example",
        CreatedAt = new DateTime(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc),
        UpdatedAt = new DateTime(2026, 11, 22, 10, 0, 0, 500, DateTimeKind.Utc),
    };

    [Fact]
    public async Task Inserted_rows_are_stored_exactly_as_EF_stores_them()
    {
        var viaEf = Job(Guid.NewGuid());
        var viaBulk = Job(Guid.NewGuid());
        viaBulk.WebhookId = viaEf.WebhookId;
        viaBulk.EventId = viaEf.EventId;
        // A first row with nulls where the second has values: the statement's parameters are reused row to row.
        var sparseEf = Sparse(Job(Guid.NewGuid()));
        var sparseBulk = Sparse(Job(Guid.NewGuid()));
        sparseBulk.WebhookId = sparseEf.WebhookId;
        await using (var db = _db.CreateDbContext())
        {
            db.WebhookJobs.AddRange(viaEf, sparseEf);
            await db.SaveChangesAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            await db.InsertAsync([sparseBulk, viaBulk]);
            await tx.CommitAsync();
        }

        foreach (var (ef, bulk) in new[] { (RawRow(viaEf.Id), RawRow(viaBulk.Id)), (RawRow(sparseEf.Id), RawRow(sparseBulk.Id)) })
        {
            Assert.Equal(ef.Count, bulk.Count);
            foreach (var (column, value) in ef.Where(c => c.Key != "Id"))
            {
                Assert.True(value == bulk[column], $"{column}: EF stored {value}, the bulk writer {bulk[column]}");
            }
        }

        var stored = RawRow(viaBulk.Id);
        Assert.Equal("blob:" + Convert.ToHexString(viaBulk.WebhookId.ToByteArray(bigEndian: true)), stored["WebhookId"]);
        Assert.Equal("integer:" + viaBulk.CreatedAt.Ticks, stored["CreatedAt"]);

        await using var read = _db.CreateDbContext();
        var back = await read.WebhookJobs.AsNoTracking().SingleAsync(j => j.Id == viaBulk.Id);
        Assert.Equal(viaBulk.NextAttemptAt, back.NextAttemptAt);
        Assert.Equal(DateTimeKind.Utc, back.CreatedAt.Kind);
        Assert.Equal(viaBulk.RequestHeaders, back.RequestHeaders);
        Assert.Equal(AttemptTrigger.Edited, back.PendingTrigger);
        // Keyset paging compares the stored text: both rows must sort by time the same way.
        Assert.Equal(4, await read.WebhookJobs.CountAsync(j => j.CreatedAt == viaEf.CreatedAt));
    }

    [Fact]
    public async Task Updates_write_only_the_named_columns_of_the_rows_found_by_key()
    {
        var first = Job(Guid.NewGuid());
        var second = Job(Guid.NewGuid());
        await using (var db = _db.CreateDbContext())
        {
            db.WebhookJobs.AddRange(first, second);
            await db.SaveChangesAsync();
        }
        first.Status = JobStatus.Succeeded;
        first.NextAttemptAt = null;
        first.Summary = "200 OK";
        first.Url = "https://changed.example/"; // not named: must not be written
        await using (var db = _db.CreateDbContext())
        {
            await db.UpdateAsync([first], [nameof(WebhookJob.Status), nameof(WebhookJob.NextAttemptAt), nameof(WebhookJob.Summary)]);
        }

        await using var read = _db.CreateDbContext();
        var a = await read.WebhookJobs.AsNoTracking().SingleAsync(j => j.Id == first.Id);
        var b = await read.WebhookJobs.AsNoTracking().SingleAsync(j => j.Id == second.Id);
        Assert.Equal((JobStatus.Succeeded, (DateTime?)null, "200 OK"), (a.Status, a.NextAttemptAt, a.Summary));
        Assert.Equal("https://receiver.example/hook?a=1&b=2", a.Url);
        Assert.Equal((JobStatus.Pending, second.NextAttemptAt), (b.Status, b.NextAttemptAt));
    }

    [Fact]
    public async Task Many_rows_reuse_one_statement_with_store_generated_keys_left_to_the_database()
    {
        var job = Job(Guid.NewGuid());
        await using var db = _db.CreateDbContext();
        db.WebhookJobs.Add(job);
        await db.SaveChangesAsync();
        // Enough rows that the reused statement runs many times with changing values and nulls.
        var attempts = Enumerable.Range(1, 130).Select(n => new JobAttempt
        {
            JobId = job.Id, Number = n, Url = job.Url, RequestBody = $"{{\"n\":{n}}}", StartedAt = DateTime.UtcNow,
            StatusCode = n % 2 == 0 ? 200 : null, ResponseBody = n % 3 == 0 ? $"body {n}" : null,
        }).ToList();
        await db.InsertAsync(attempts);
        var stored = await db.JobAttempts.Where(a => a.JobId == job.Id).OrderBy(a => a.Number).ToListAsync();
        Assert.Equal(130, stored.Select(a => a.Id).Distinct().Count());
        Assert.All(stored, a => Assert.True(a.Id > 0));
        Assert.Equal(Enumerable.Range(1, 130), stored.Select(a => a.Number));
        Assert.All(stored, a =>
        {
            Assert.Equal($"{{\"n\":{a.Number}}}", a.RequestBody);
            Assert.Equal(a.Number % 2 == 0 ? 200 : null, a.StatusCode);
            Assert.Equal(a.Number % 3 == 0 ? $"body {a.Number}" : null, a.ResponseBody);
        });
    }

    private static WebhookJob Sparse(WebhookJob job)
    {
        job.EventId = null;
        job.NextAttemptAt = null;
        job.PendingTrigger = null;
        job.PendingTriggeredBy = null;
        job.RequestHeaders = [];
        return job;
    }

    private Dictionary<string, string> RawRow(Guid id)
    {
        using var context = _db.CreateDbContext();
        using var connection = new SqliteConnection(context.Database.GetConnectionString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM WebhookJobs WHERE Id = $id";
        command.Parameters.AddWithValue("$id", id.ToByteArray(bigEndian: true));
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read(), $"no row stored with the 16-byte big-endian id {id}");
        // The value's storage class as SQLite holds it (not the declared type), so a Guid bound as text or a date
        // bound as a string would differ from what EF stores.
        return Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.GetValue(i) switch
        {
            DBNull => "NULL",
            byte[] blob => "blob:" + Convert.ToHexString(blob),
            long integer => "integer:" + integer,
            double real => "real:" + real.ToString(System.Globalization.CultureInfo.InvariantCulture),
            var text => "text:" + text,
        });
    }
}
