using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Dispatching.Lanes;

/// <summary>
/// The fast lane: every delivery attempt runs here, in this process, at its due time (ARCHITECTURE.md decision 1,
/// revised: two lanes). The database is the queue. New jobs arrive already leased from ingestion and are sent at
/// once; a retry is timed in memory at the exact <c>NextAttemptAt</c> the ledger wrote; and once a second the lane
/// reads the partial index of Pending jobs for anything coming due in the next few seconds that it does not hold
/// (a retry scheduled before a restart, a disabled webhook enabled again, a lease that lapsed). Each send's outcome
/// goes to the <see cref="AttemptRecorder"/> when that send ends, so one slow receiver delays nobody else, and
/// first to the <see cref="OutcomeJournal"/>, so a kill before the commit does not make it send the job again.
/// Periodic and bulk work runs on the durable lane (Hangfire on SQLite, see <see cref="DurableLane"/>).
/// </summary>
public sealed partial class DeliveryLane : BackgroundService, IDeliveryQueue
{
    /// <summary>A fresh job's lease must outlast the attempt by this much; otherwise it is leased anew from the database.</summary>
    private static readonly TimeSpan FreshLeaseReserve = TimeSpan.FromSeconds(5);
    /// <summary>Retries due later than this are left to the database poll, so memory holds only what is due soon.</summary>
    private static readonly TimeSpan MemoryHorizon = TimeSpan.FromMinutes(10);
    /// <summary>New jobs kept as written while they wait for a send slot; past this they take the ordinary path.</summary>
    public const int FreshLimit = 4_096;
    /// <summary>Rows one poll reads at most: a backlog larger than this enters as the earlier part is sent.</summary>
    private const int PollLimit = 5_000;
    /// <summary>The dispatcher's longest sleep, so a missed wake costs at most this.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);
    /// <summary>How long a stopping host lets sends in flight end and be recorded.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly IDbContextFactory<AppDbContext> _dbFactory;
    private readonly DeliveryStore _store;
    private readonly DeliverySender _sender;
    private readonly AttemptRecorder _recorder;
    private readonly JournalRecovery _journalRecovery;
    private readonly RecoverySignal _signal;
    private readonly DispatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DeliveryLane> _logger;
    private readonly LaneTimers _timers;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _sendAbort = new();
    private volatile bool _running;
    private long _lastPollTicks;

    public DeliveryLane(IDbContextFactory<AppDbContext> dbFactory, DeliveryStore store, DeliverySender sender, AttemptRecorder recorder, JournalRecovery journalRecovery,
        RecoverySignal signal, IOptions<DispatchOptions> options, TimeProvider time, ILogger<DeliveryLane> logger)
    {
        (_dbFactory, _store, _sender, _recorder, _journalRecovery, _signal, _options, _time, _logger) = (dbFactory, store, sender, recorder, journalRecovery, signal, options.Value, time, logger);
        _timers = new LaneTimers(Math.Max(1, _options.MaxConcurrentSends), FreshLimit);
    }

    /// <summary>
    /// New jobs are written leased to this process and kept as written while it can hold them. A lease says "this
    /// may have been sent": after a crash, those still waiting for a slot are marked of unknown outcome too, the price
    /// of their first attempt needing no read and no lease write (limiting fresh jobs to free slots halved end-to-end
    /// throughput: docs/performance.md).
    /// </summary>
    public bool LeaseFresh(IReadOnlyList<LeasedJob> jobs, DateTime now)
    {
        var fresh = _running && jobs.Count > 0 && jobs.Count <= _timers.FreshCapacity;
        foreach (var (job, webhook) in jobs) job.LeaseUntil = fresh ? DeliveryStore.LeaseEnd(now, webhook) : null;
        return fresh;
    }

    public void EnqueueFresh(IReadOnlyList<LeasedJob> jobs)
    {
        if (!_running) return;
        _timers.AddFresh(jobs, Now);
        Wake();
    }

    public void Enqueue(IReadOnlyCollection<Guid> jobIds)
    {
        if (!_running) return;
        _timers.AddAll(jobIds, Now);
        Wake();
    }

    public void Schedule(Guid jobId, DateTime dueAt)
    {
        if (!_running || dueAt > Now + MemoryHorizon) return; // the poll takes it up when it comes near
        _timers.AddAll([jobId], dueAt);
        Wake();
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>When the lane last read the database for due jobs; null before its first poll (readiness: Operations/).</summary>
    public DateTime? LastPolledAt => Interlocked.Read(ref _lastPollTicks) is var t and > 0 ? new DateTime(t, DateTimeKind.Utc) : null;

    private void Wake()
    {
        try { _wake.Release(); } catch (SemaphoreFullException) { }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _running = true;
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ResumeAfterLastRunAsync(stoppingToken);
        await Task.WhenAll(PollLoopAsync(stoppingToken), DispatchLoopAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _running = false;
        await base.StopAsync(cancellationToken);
        // Sends in flight end and are recorded; past the drain time they are abandoned to the next start, whose
        // lease check records them as of unknown outcome.
        var deadline = Now + DrainTimeout;
        while (_timers.BusyCount > 0 && Now < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
        }
        _sendAbort.Cancel();
        await _recorder.FlushAsync();
        _journal?.Dispose();
    }

    /// <summary>
    /// Once a poll interval (or when woken: a webhook enabled, jobs retried), the Pending jobs due within the
    /// lookahead that the lane does not hold, timed at when they may be leased.
    /// </summary>
    private async Task PollLoopAsync(CancellationToken ct)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(50, _options.PollMilliseconds));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await PollAsync(TimeSpan.FromSeconds(Math.Max(1, _options.LookaheadSeconds)), ct);
                Interlocked.Exchange(ref _lastPollTicks, Now.Ticks);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogError(ex, "Reading due deliveries failed; trying again in {Interval}.", interval);
            }
            try
            {
                await _signal.WaitAsync(interval, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Puts on the lane every Pending job that may be leased within <paramref name="lookahead"/> and is not on it.
    /// The recovery sweep calls it with no limit but the row cap, as a safety net. Returns how many it added.
    /// </summary>
    public async Task<int> PollAsync(TimeSpan lookahead, CancellationToken ct)
    {
        if (!_running) return 0;
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var due = await DeliveryStore.DueJobs(db, Now + lookahead).Take(PollLimit).ToListAsync(ct);
        var added = _timers.AddFromDatabase(due);
        if (added > 0) Wake();
        return added;
    }

    private async Task DispatchLoopAsync(CancellationToken ct)
    {
        var batchSize = Math.Max(1, _options.BatchSize);
        while (!ct.IsCancellationRequested)
        {
            var due = _timers.TakeDue(batchSize, Now, MaxWait, out var wait);
            if (due.Count > 0)
            {
                await TakeUpAsync(due, ct);
                continue;
            }
            try
            {
                // Nothing due: sleep until the next timer, or until woken (a new job, a free slot), a second at most.
                await _wake.WaitAsync(TimeSpan.FromTicks(Math.Clamp(wait.Ticks, 0, MaxWait.Ticks)), ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Leases what is not fresh in one transaction and starts a send for each job it holds.</summary>
    private async Task TakeUpAsync(List<Guid> due, CancellationToken ct)
    {
        // Fresh jobs that waited so long for a slot that their lease may lapse mid-attempt are leased anew.
        var (leased, toLease, own) = _timers.SortTaken(due, Now, FreshLeaseReserve);
        if (toLease.Count > 0)
        {
            try
            {
                leased.AddRange(await _store.LeaseAsync(toLease, own, ct));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _logger.LogError(ex, "Leasing {Count} due deliveries failed; the poll finds them again.", toLease.Count);
            }
        }
        var sending = leased.Select(l => l.Job.Id).ToHashSet();
        _timers.GiveBack(due.Where(id => !sending.Contains(id)), Now);
        foreach (var job in await WithinLimitsAsync(leased, ct)) _ = SendAsync(job);
    }

    private async Task SendAsync(LeasedJob job)
    {
        DateTime? next = null;
        try
        {
            SendResult? sent = null;
            try
            {
                sent = await _sender.SendAsync(job.Job, job.Webhook, _sendAbort.Token);
            }
            finally
            {
                // A 429/503's pause first, or the webhook's next parked job would slip out before it. Then the next
                // send need not wait for this one's record (nor the webhook's next parked job).
                if (sent is not null) NoteRetryAfter(job.Webhook.Id, sent);
                _timers.SendEnded();
                SendOfWebhookEnded(job.Webhook.Id);
                Wake();
            }
            var entry = _journal?.Append(job.Job.Id, job.Job.AttemptCount + 1, sent) ?? -1;
            try
            {
                var recorded = await _recorder.RecordAsync(job, sent);
                next = recorded.NextAttemptAt;
            }
            finally
            {
                _journal?.Settled(entry);
            }
        }
        catch (OperationCanceledException) when (_sendAbort.IsCancellationRequested)
        {
            // Shutting down past the drain time: the lease stays, and the next start records the attempt as interrupted.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Delivering job {JobId} failed before its attempt was recorded; it is taken up again when its lease ends.", job.Job.Id);
        }
        finally
        {
            var now = Now;
            _timers.Done(job.Job.Id, now, next is { } at && _running && at <= now + MemoryHorizon ? at : null);
            Wake();
        }
    }

    /// <summary>
    /// Sends one attempt now if the job is Pending, due and free, and records it before returning (the Test
    /// button). Returns the attempt, or null when nothing was sent.
    /// </summary>
    public async Task<JobAttempt?> AttemptNowAsync(Guid jobId, Func<CancellationToken, Task>? create, CancellationToken ct, TimeSpan? timeoutCap = null)
    {
        if (!_timers.TryHold(jobId)) return null;
        RecordedAttempt? recorded = null;
        try
        {
            // Written while held here: the poll skips it, so this attempt is the only one.
            if (create is not null) await create(ct);
            var leased = await _store.LeaseAsync([jobId], null, ct);
            if (leased.Count == 0) return null;
            var result = await _sender.SendAsync(leased[0].Job, leased[0].Webhook, ct, timeoutCap);
            recorded = (await _store.RecordAsync([(leased[0], result)]))[0];
            return recorded.Attempt;
        }
        finally
        {
            _timers.Unhold(jobId, Now);
            if (recorded?.NextAttemptAt is { } at) Schedule(jobId, at);
        }
    }
}
