using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Dispatching;

/// <summary>
/// The outbox sweep (ARCHITECTURE.md decision 1): at start-up and every minute, every Pending job that is due,
/// whose lease has expired and that no live Hangfire job holds is enqueued again. Hangfire keeps its queue in
/// memory; this is what makes a killed process lose no delivery.
/// </summary>
public sealed class DeliveryRecovery(
    IDbContextFactory<AppDbContext> dbFactory, IDeliveryQueue queue, InFlightJobs inFlight, RecoverySignal signal, IOptions<DispatchOptions> options,
    TimeProvider time, ILogger<DeliveryRecovery> logger) : BackgroundService
{
    private const int BatchSize = 2000;
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, options.Value.RecoveryIntervalSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var count = await SweepAsync(stoppingToken);
                if (count > 0) logger.LogInformation("Recovery enqueued {Count} due Pending jobs.", count);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "The recovery sweep failed; it runs again in {Interval}.", interval);
            }
            try
            {
                await signal.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Pending jobs due now and free, the earliest first; jobs of a disabled webhook are held, a deleted webhook's
    /// jobs are picked up to be abandoned. <c>Status</c> is compared with a constant so that SQLite reads the
    /// partial index of Pending jobs.
    /// </summary>
    internal static IQueryable<Guid> DueJobs(AppDbContext db, DateTime now) => db.WebhookJobs.AsNoTracking()
        .Where(j => j.Status == JobStatus.Pending && j.NextAttemptAt <= now && (j.LeaseUntil == null || j.LeaseUntil < now))
        .Where(j => j.IsTest || !db.Webhooks.Any(w => w.Id == j.WebhookId && !w.Enabled))
        .OrderBy(j => j.NextAttemptAt).ThenBy(j => j.Id)
        .Select(j => j.Id);

    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var total = 0;
        for (var offset = 0; ; offset += BatchSize)
        {
            var now = time.GetUtcNow().UtcDateTime;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            // Jobs of a disabled webhook are held; a deleted webhook's jobs are picked up to be abandoned.
            // Offset paging: rows that change meanwhile may be missed, and the next sweep takes them.
            var due = await DueJobs(db, now).Skip(offset).Take(BatchSize).ToListAsync(ct);
            var ids = due.Where(id => !inFlight.Contains(id)).ToList();
            queue.Enqueue(ids);
            total += ids.Count;
            if (due.Count < BatchSize) return total;
        }
    }
}
