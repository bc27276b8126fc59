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
    /// The jobs whose URL or request body, or one of whose answered attempts' response body, matches the LIKE
    /// <paramref name="pattern"/> (escape character <c>\</c>), read through the trigram indexes first: the matches
    /// are collected before the caller's filters, order and limit apply. Stated as one query with ORDER BY and
    /// LIMIT, the planner walks the history newest first and tests every row, which for a rare text is all of them.
    /// </summary>
    public static IQueryable<WebhookJob> JobsLike(this AppDbContext db, string pattern) =>
        db.WebhookJobs.FromSqlRaw("""
            WITH matches AS MATERIALIZED (
              SELECT "Id" FROM "WebhookJobs" WHERE "Url" LIKE {0} ESCAPE '\' OR "RequestBody" LIKE {0} ESCAPE '\'
              UNION
              SELECT "JobId" FROM "JobAttempts" WHERE "ResponseBodyLength" > 0 AND "ResponseBody" LIKE {0} ESCAPE '\')
            SELECT * FROM "WebhookJobs" WHERE "Id" IN (SELECT "Id" FROM matches)
            """, pattern);
}
