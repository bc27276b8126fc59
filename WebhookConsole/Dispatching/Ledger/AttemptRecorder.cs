using System.Threading.Channels;
using Microsoft.Extensions.Options;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Dispatching.Ledger;

/// <summary>
/// Group commit of attempt records on a short timer. A send hands its outcome over when it ends; the first
/// outcome of a group waits at most <c>Dispatch:CommitIntervalMilliseconds</c> for others, then all of them are
/// written in one transaction and their senders resume. So a record is never held by another receiver's slow
/// answer, and what a crash can leave unrecorded (and send again) is the sends in flight plus those that ended
/// within one interval and the commit after it.
/// </summary>
public sealed class AttemptRecorder
{
    /// <summary>Outcomes per transaction at most; under a burst the next group starts as soon as this one commits.</summary>
    private const int MaxGroup = 1_024;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DeliveryStore _store;
    private readonly TimeSpan _interval;
    private readonly ILogger<AttemptRecorder> _logger;
    private readonly Lazy<Task> _loop;

    private readonly record struct Pending(LeasedJob Job, SendResult Result, TaskCompletionSource<RecordedAttempt> Done);

    public AttemptRecorder(DeliveryStore store, IOptions<DispatchOptions> options, ILogger<AttemptRecorder> logger)
    {
        (_store, _logger) = (store, logger);
        _interval = TimeSpan.FromMilliseconds(Math.Max(0, options.Value.CommitIntervalMilliseconds));
        _loop = new Lazy<Task>(() => Task.Run(RunAsync));
    }

    /// <summary>Completes when the attempt is committed.</summary>
    public Task<RecordedAttempt> RecordAsync(LeasedJob job, SendResult result)
    {
        _ = _loop.Value;
        var done = new TaskCompletionSource<RecordedAttempt>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(job, result, done))) done.SetException(new InvalidOperationException("The recorder has stopped."));
        return done.Task;
    }

    /// <summary>Writes what is queued and stops taking more (the host is stopping).</summary>
    public async Task FlushAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop.IsValueCreated) await _loop.Value;
    }

    private async Task RunAsync()
    {
        var group = new List<Pending>(64);
        while (await _queue.Reader.WaitToReadAsync())
        {
            if (_interval > TimeSpan.Zero) await Task.Delay(_interval);
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var item)) group.Add(item);
            if (group.Count == 0) continue;
            try
            {
                var recorded = await _store.RecordAsync(group.Select(p => (p.Job, p.Result)).ToList());
                for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(recorded[i]);
            }
            catch (Exception ex)
            {
                // The leases stay: the jobs are taken up again when they end, with an attempt of unknown outcome.
                _logger.LogError(ex, "Recording {Count} attempts failed.", group.Count);
                foreach (var p in group) p.Done.TrySetException(ex);
            }
        }
    }
}
