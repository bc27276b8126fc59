using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data;

/// <summary>
/// The jobs console's indexed text search (SQLite FTS5, migration <c>JobTextSearch</c>): the jobs whose URL or
/// request body, or one of whose attempts' response body, contains the search's words in that order. Callers
/// confirm the exact text on these few candidates; a fragment of a word has no index and needs a scan.
/// </summary>
public static class JobSearch
{
    /// <summary>The search as one FTS5 phrase (its words, in order), or null when it has no word to look up.</summary>
    public static string? Phrase(string text) =>
        text.Any(char.IsLetterOrDigit) ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : null;

    public static IQueryable<WebhookJob> JobsMatching(this AppDbContext db, string phrase) =>
        db.WebhookJobs.FromSqlRaw("""
            SELECT * FROM "WebhookJobs" WHERE rowid IN (
              SELECT rowid FROM "WebhookJobSearch" WHERE "WebhookJobSearch" MATCH {0}
              UNION
              SELECT j.rowid FROM "JobAttempts" a JOIN "WebhookJobs" j ON j."Id" = a."JobId"
              WHERE a."Id" IN (SELECT rowid FROM "JobAttemptSearch" WHERE "JobAttemptSearch" MATCH {0}))
            """, phrase);
}
