using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data;

/// <summary>
/// The jobs console's text search through the word index (SQLite FTS5, migration <c>JobSearchIndex</c>): the
/// jobs whose URL or request body, or one of whose attempts' response body, has the search's words in that
/// order, plus every row the indexer has not reached yet. Callers confirm the exact text on these candidates,
/// so the index only narrows; a search that starts or ends inside a word is not in it and needs a scan.
/// </summary>
public static class JobSearch
{
    /// <summary>The search as one FTS5 phrase (its words, in order), or null when it has no word to look up.</summary>
    public static string? Phrase(string text) =>
        text.Any(char.IsLetterOrDigit) ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : null;

    /// <summary>
    /// Candidates for <paramref name="phrase"/>: indexed jobs and attempts that match it, and the jobs past the
    /// index's mark created since <paramref name="tailSince"/> (the rows the indexer has not reached; the bound
    /// keeps the scan of that tail as short as the default window while a large backlog is indexed). The tails
    /// are read by rowid from the mark (the unary <c>+</c> keeps SQLite off the CreatedAt and response-body
    /// indexes, which would read the whole window or every failed attempt to find the few rows past the mark).
    /// </summary>
    public static IQueryable<WebhookJob> JobsMatching(this AppDbContext db, string phrase, DateTime tailSince) =>
        db.WebhookJobs.FromSqlRaw("""
            SELECT * FROM "WebhookJobs" WHERE rowid IN (
              SELECT rowid FROM "WebhookJobSearch" WHERE "WebhookJobSearch" MATCH {0}
              UNION ALL
              SELECT j.rowid FROM "JobAttempts" AS a JOIN "WebhookJobs" AS j ON j."Id" = a."JobId"
              WHERE a."Id" IN (SELECT rowid FROM "JobAttemptSearch" WHERE "JobAttemptSearch" MATCH {0})
              UNION ALL
              SELECT rowid FROM "WebhookJobs"
              WHERE rowid > (SELECT "Mark" FROM "SearchIndexMarks" WHERE "Name" = 'jobs') AND +"CreatedAt" >= {1}
              UNION ALL
              SELECT j.rowid FROM "JobAttempts" AS a JOIN "WebhookJobs" AS j ON j."Id" = a."JobId"
              WHERE a."Id" > (SELECT "Mark" FROM "SearchIndexMarks" WHERE "Name" = 'attempts') AND +a."ResponseBodyLength" > 0)
            """, phrase, tailSince);

    /// <summary>How far the index has got: the jobs and attempts not yet indexed.</summary>
    public static async Task<(long Jobs, long Attempts)> BacklogAsync(AppDbContext db, CancellationToken ct = default)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT count(*) FROM "WebhookJobs" WHERE rowid > (SELECT "Mark" FROM "SearchIndexMarks" WHERE "Name" = 'jobs')),
                   (SELECT count(*) FROM "JobAttempts" WHERE "Id" > (SELECT "Mark" FROM "SearchIndexMarks" WHERE "Name" = 'attempts'))
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Indexes the next rows past each mark (at most <paramref name="jobs"/> jobs and <paramref name="attempts"/>
    /// attempts) and moves the marks, in one transaction: the index and its marks always agree. Returns how
    /// many rows of each it passed; fewer than asked means it has caught up.
    /// </summary>
    public static async Task<(int Jobs, int Attempts)> IndexNextAsync(AppDbContext db, int jobs, int attempts, CancellationToken ct = default)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var doneJobs = await IndexRangeAsync(connection, tx, "jobs", """
            SELECT max(rowid), count(*) FROM (SELECT rowid FROM "WebhookJobs" WHERE rowid > $mark ORDER BY rowid LIMIT $limit)
            """, """
            INSERT OR REPLACE INTO "WebhookJobSearch" (rowid, "Text")
            SELECT rowid, "Url" || ' ' || "RequestBody" FROM "WebhookJobs" WHERE rowid > $mark AND rowid <= $high
            """, jobs, ct);
        var doneAttempts = await IndexRangeAsync(connection, tx, "attempts", """
            SELECT max("Id"), count(*) FROM (SELECT "Id" FROM "JobAttempts" WHERE "Id" > $mark ORDER BY "Id" LIMIT $limit)
            """, """
            INSERT OR REPLACE INTO "JobAttemptSearch" (rowid, "Text")
            SELECT "Id", "ResponseBody" FROM "JobAttempts"
            WHERE "Id" > $mark AND "Id" <= $high AND "ResponseBodyLength" > 0 AND "ResponseBody" IS NOT NULL
            """, attempts, ct);
        await tx.CommitAsync(ct);
        return (doneJobs, doneAttempts);
    }

    private static async Task<int> IndexRangeAsync(SqliteConnection connection, SqliteTransaction tx, string name, string rangeSql, string indexSql, int limit, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """SELECT "Mark" FROM "SearchIndexMarks" WHERE "Name" = $name""";
        command.Parameters.AddWithValue("$name", name);
        var mark = (long)(await command.ExecuteScalarAsync(ct))!;

        command.CommandText = rangeSql;
        command.Parameters.AddWithValue("$mark", mark);
        command.Parameters.AddWithValue("$limit", limit);
        long high;
        int count;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            count = reader.GetInt32(1);
            if (count == 0) return 0;
            high = reader.GetInt64(0);
        }

        command.CommandText = indexSql;
        command.Parameters.AddWithValue("$high", high);
        await command.ExecuteNonQueryAsync(ct);
        command.CommandText = """UPDATE "SearchIndexMarks" SET "Mark" = $high WHERE "Name" = $name""";
        await command.ExecuteNonQueryAsync(ct);
        return count;
    }
}
