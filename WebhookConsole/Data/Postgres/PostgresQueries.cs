using Microsoft.EntityFrameworkCore;
using Npgsql;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Postgres;

/// <summary>The few reads that need PostgreSQL's own SQL.</summary>
public static class PostgresQueries
{
    /// <summary>
    /// The Pending jobs among <paramref name="ids"/>, locked for the caller's transaction; rows another instance holds
    /// locked (it is leasing them right now) are skipped, not waited for. Read committed with <c>FOR UPDATE</c> checks
    /// each row again at its latest version, so a lease another instance committed a moment ago is seen.
    /// </summary>
    public static Task<List<WebhookJob>> LockPendingJobsAsync(AppDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken ct) =>
        db.WebhookJobs.FromSqlRaw("""SELECT * FROM "WebhookJobs" WHERE "Id" = ANY(@ids) AND "Status" = 'Pending' FOR UPDATE SKIP LOCKED""",
                new NpgsqlParameter("ids", ids.ToArray()))
            .AsNoTracking().ToListAsync(ct);

    /// <summary>
    /// Candidates for a text search: the jobs whose URL and request body, or one of whose answered attempts' response
    /// body, hold the words of <paramref name="text"/> in that order (the word index of the SearchDocuments migration,
    /// across all history). Callers confirm the exact text on them, so the index only narrows; text that starts or
    /// ends inside a word is not in it and needs a scan, as on SQLite.
    /// </summary>
    public static IQueryable<WebhookJob> JobsMatching(AppDbContext db, string text) =>
        db.WebhookJobs.FromSqlRaw("""
            SELECT * FROM "WebhookJobs" WHERE "Id" IN (
              SELECT "JobId" FROM "JobSearchDocuments" WHERE "Words" @@ phraseto_tsquery('simple'::regconfig, "JobSearchText"({0})))
            """, text);
}
