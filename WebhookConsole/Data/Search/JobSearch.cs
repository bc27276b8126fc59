using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data.Search;

/// <summary>
/// The jobs console's text search through the word index: SQLite FTS5 tables in their own file beside the
/// database (<c>webhookconsole.search.db</c> next to <c>webhookconsole.db</c>), filled by
/// <see cref="JobSearchIndexer"/>. The file holds derived data only: deleted, it is built again from the start.
/// A search attaches it for the one query, reads the jobs whose URL or request body, or one of whose attempts'
/// response body, has the search's words in that order, plus every row past the indexer's mark, and detaches
/// it again (a pooled connection with the file attached would take its write lock on every write transaction).
/// Callers confirm the exact text on these candidates, so the index only narrows; text that starts or ends
/// inside a word is not in it and needs a scan.
/// </summary>
public static class JobSearch
{
    public const string Schema = "search";

    /// <summary>Bumped when the index's tables change: an index file of another version is built again.</summary>
    public const int Version = 1;

    internal const int JobKind = 0, AttemptKind = 1;

    /// <summary>The index file for a database, or null for an in-memory database (search then scans).</summary>
    public static string? IndexPath(string connectionString) =>
        DataExtensions.SqliteFile(connectionString) is { } path
            ? Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + ".search" + Path.GetExtension(path))
            : null;

    /// <summary>The search as one FTS5 phrase (its words, in order), or null when it has no word to look up.</summary>
    public static string? Phrase(string text) =>
        text.Any(char.IsLetterOrDigit) ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : null;

    /// <summary>
    /// Attaches the index to the context's connection when it exists and is ready; false when search has to scan.
    /// Call <see cref="DetachAsync"/> when the query has been read.
    /// </summary>
    public static async Task<bool> TryAttachAsync(AppDbContext db, CancellationToken ct = default)
    {
        if (!db.Database.IsSqlite()) return false;
        if (IndexPath(db.Database.GetConnectionString()!) is not { } path || !File.Exists(path)) return false;
        await db.Database.OpenConnectionAsync(ct);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = $"ATTACH DATABASE $path AS {Schema}";
        command.Parameters.AddWithValue("$path", path);
        try
        {
            await command.ExecuteNonQueryAsync(ct);
            command.CommandText = $"SELECT count(*) FROM {Schema}.sqlite_master WHERE name = 'SearchIndexMarks'";
            if ((long)(await command.ExecuteScalarAsync(ct))! == 1) return true;
        }
        catch (SqliteException)
        {
            // An index file that cannot be read is rebuilt by the indexer; until then search scans.
        }
        await DetachAsync(db);
        return false;
    }

    public static async Task DetachAsync(AppDbContext db)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM pragma_database_list WHERE name = '{Schema}'";
        if ((long)(await command.ExecuteScalarAsync())! == 0) return;
        command.CommandText = $"DETACH DATABASE {Schema}";
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Candidates for <paramref name="phrase"/> (the index must be attached): indexed jobs and attempts that match
    /// it, the jobs past the index's mark created since <paramref name="tailSince"/> (the rows the indexer has
    /// not reached; the bound keeps that scan as short as the default window while a large backlog is indexed),
    /// and the jobs edited since it last looked (their new text is not indexed yet).
    /// The tails are read by rowid from the mark: the unary <c>+</c> keeps SQLite off the CreatedAt and
    /// response-body indexes, which would read the whole window or every failed attempt to find a few rows.
    /// </summary>
    public static IQueryable<WebhookJob> JobsMatching(this AppDbContext db, string phrase, DateTime tailSince) =>
        db.WebhookJobs.FromSqlRaw($$"""
            SELECT * FROM "WebhookJobs" WHERE rowid IN (
              SELECT rowid FROM {{Schema}}."WebhookJobSearch" WHERE "WebhookJobSearch" MATCH {0}
              UNION ALL
              SELECT j.rowid FROM "JobAttempts" AS a JOIN "WebhookJobs" AS j ON j."Id" = a."JobId"
              WHERE a."Id" IN (SELECT rowid FROM {{Schema}}."JobAttemptSearch" WHERE "JobAttemptSearch" MATCH {0})
              UNION ALL
              SELECT rowid FROM "WebhookJobs"
              WHERE rowid > (SELECT "Mark" FROM {{Schema}}."SearchIndexMarks" WHERE "Kind" = {{JobKind}}) AND +"CreatedAt" >= {1}
              UNION ALL
              SELECT j.rowid FROM "JobAttempts" AS a JOIN "WebhookJobs" AS j ON j."Id" = a."JobId"
              WHERE a."Id" > (SELECT "Mark" FROM {{Schema}}."SearchIndexMarks" WHERE "Kind" = {{AttemptKind}}) AND +a."ResponseBodyLength" > 0
              UNION ALL
              SELECT "Row" FROM "SearchIndexChanges" WHERE "Kind" = {{JobKind}})
            """, phrase, UtcTicksConverter.Ticks(tailSince));
}
