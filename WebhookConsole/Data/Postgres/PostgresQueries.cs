using Microsoft.EntityFrameworkCore;
using Npgsql;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data.Postgres;

/// <summary>The few reads that need PostgreSQL's own SQL.</summary>
public static class PostgresQueries
{
    /// <summary>
    /// The Pending jobs among <paramref name="ids"/>, locked for the caller's transaction; rows another instance holds
    /// locked (it is leasing them right now) are skipped, not waited for. Read committed with <c>FOR UPDATE</c> checks
    /// each row again at its latest version, so a lease another instance committed a moment ago is seen. The status
    /// is compared so that no index serves it, so the rows are found by their key (see DeliveryStore.StillPending).
    /// </summary>
    public static Task<List<WebhookJob>> LockPendingJobsAsync(AppDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken ct) =>
        db.WebhookJobs.FromSqlRaw("""SELECT * FROM "WebhookJobs" WHERE "Id" = ANY(@ids) AND ("Status" || '') = 'Pending' FOR UPDATE SKIP LOCKED""",
                new NpgsqlParameter("ids", ids.ToArray()))
            .AsNoTracking().ToListAsync(ct);

    /// <summary>
    /// Candidates for a text search: the jobs whose URL and request body, or one of whose answered attempts' response
    /// body, hold the words of <paramref name="text"/> in that order (the word index of the SearchDocuments migration,
    /// across all history), and the jobs created since <paramref name="tailSince"/> that the indexer has not reached
    /// yet (<see cref="PostgresSearchIndexer"/>; the bound keeps that scan as short as the default window while a
    /// large backlog is indexed, as on SQLite). Callers confirm the exact text on them, so the index only narrows;
    /// text that starts or ends inside a word is not in it and needs a scan.
    /// </summary>
    public static IQueryable<WebhookJob> JobsMatching(AppDbContext db, string text, DateTime tailSince) =>
        // A text without words matches nothing in the index (NULL), only the tail.
        db.WebhookJobs.FromSqlRaw("""
            SELECT * FROM "WebhookJobs" WHERE "Id" IN (
              SELECT "JobId" FROM "JobSearchDocuments" WHERE "Words" @@ CAST(@phrase AS tsquery)
              UNION ALL
              SELECT q."JobId" FROM "JobSearchQueue" AS q JOIN "WebhookJobs" AS j ON j."Id" = q."JobId" WHERE j."CreatedAt" >= @since)
            """, new NpgsqlParameter("phrase", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)SearchWords.Phrase(text) ?? DBNull.Value },
            new NpgsqlParameter("since", UtcTicksConverter.Ticks(tailSince)));
}
