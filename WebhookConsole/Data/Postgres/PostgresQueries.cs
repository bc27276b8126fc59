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
}
