using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Retention;

public sealed class RetentionOptions
{
    /// <summary>Finished jobs and events older than this are purged (Jodoo keeps six months).</summary>
    public int Days { get; set; } = 180;
    public int IntervalMinutes { get; set; } = 60;
    public int BatchSize { get; set; } = 500;
}

public sealed record PurgeResult(DateTime At, int Jobs, int Events);

/// <summary>
/// Purges finished jobs (their attempts go with them) and events past <c>Retention:Days</c>, in small
/// batches with pauses between them, so the deletes never hold the database long enough to stall deliveries.
/// Pending and Received jobs are never purged. A recurring job of the durable lane (<see cref="RetentionJob"/>) runs it.
/// </summary>
public sealed class RetentionService(IDbContextFactory<AppDbContext> dbFactory, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionService> logger)
{
    /// <summary>The per-minute delivery counts behind the charts (a day is shown) are kept this long, or Retention:Days if shorter.</summary>
    public const int DeliveryMinuteDays = 8;

    public RetentionOptions Options => options.Value;
    public PurgeResult? LastPurge { get; private set; }

    /// <summary>Runs as the durable lane's recurring job <c>retention-purge</c>, every <c>Retention:IntervalMinutes</c>.</summary>
    public async Task<PurgeResult> PurgeAsync(CancellationToken ct)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-Math.Max(1, options.Value.Days));
        var batch = Math.Max(1, options.Value.BatchSize);
        int jobs = 0, events = 0;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var ids = await db.WebhookJobs.Where(j => j.CreatedAt < cutoff && Dispatching.Ledger.JobLifecycle.Purgeable.Contains(j.Status))
                .OrderBy(j => j.CreatedAt).Select(j => j.Id).Take(batch).ToListAsync(ct);
            if (ids.Count == 0) break;
            await db.JobAttempts.Where(a => ids.Contains(a.JobId)).ExecuteDeleteAsync(ct);
            jobs += await db.WebhookJobs.Where(j => ids.Contains(j.Id)).ExecuteDeleteAsync(ct);
            await Task.Delay(50, ct);
        }
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            // An event stays while a job of it is still unfinished.
            var ids = await db.Events.Where(e => e.ReceivedAt < cutoff && !db.WebhookJobs.Any(j => j.EventId == e.Id))
                .OrderBy(e => e.ReceivedAt).Select(e => e.Id).Take(batch).ToListAsync(ct);
            if (ids.Count == 0) break;
            await db.EventOutcomes.Where(o => ids.Contains(o.EventId)).ExecuteDeleteAsync(ct);
            events += await db.Events.Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(ct);
            await Task.Delay(50, ct);
        }
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var oldest = DeliveryMinute.MinuteOf(time.GetUtcNow().UtcDateTime.AddDays(-Math.Min(DeliveryMinuteDays, Math.Max(1, options.Value.Days))));
            await db.DeliveryMinutes.Where(m => m.Minute < oldest).ExecuteDeleteAsync(ct);
        }
        LastPurge = new PurgeResult(time.GetUtcNow().UtcDateTime, jobs, events);
        if (jobs + events > 0) logger.LogInformation("Retention purged {Jobs} jobs and {Events} events older than {Days} days.", jobs, events, options.Value.Days);
        return LastPurge;
    }
}
