using WebhookConsole.Data.Entities;

namespace WebhookConsole.Dispatching.Lanes;

/// <summary>What the limiter says of one job: send now, wait until a time, or wait for one of the webhook's sends to end.</summary>
internal readonly record struct LimitDecision(bool Allowed, DateTime? RetryAt)
{
    public static readonly LimitDecision Go = new(true, null);
    /// <summary>At the webhook's concurrency limit: parked until one of its sends ends.</summary>
    public static readonly LimitDecision Parked = new(false, null);
}

/// <summary>
/// Per-webhook limits of the fast lane (<c>maxDeliveriesPerSecond</c>, <c>maxConcurrentDeliveries</c>, and a receiver's
/// <c>Retry-After</c> on 429/503, which slows the webhook as a whole). A job over a limit waits its turn — it is not
/// failed, and it does not hold up other webhooks' jobs: a rate-limited job is given the time of its token (reserved,
/// so it is not refused again when it comes due), a job over the concurrency limit waits until one of that webhook's
/// sends ends. Limits are per console instance. Attempts made outside the lane (the Test button, a synchronous reply
/// the platform waits for) are not limited.
/// </summary>
internal sealed class WebhookLimiter
{
    private sealed class State
    {
        /// <summary>The theoretical arrival time of the next send (GCRA): sends are spaced 1/rate apart.</summary>
        public DateTime Tat;
        public int InFlight;
        public DateTime NotBefore;
        public readonly HashSet<Guid> Reserved = [];
        public readonly Queue<Guid> Parked = new();
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, State> _states = [];

    /// <param name="ownRetryAfter">The job's own last answer was the 429/503: its retry time already honours the receiver's Retry-After, so the pause does not hold it again.</param>
    public LimitDecision TryStart(Guid jobId, Webhook webhook, DateTime now, bool ownRetryAfter = false)
    {
        var rate = Math.Max(0, webhook.MaxDeliveriesPerSecond);
        var concurrency = Math.Max(0, webhook.MaxConcurrentDeliveries);
        lock (_lock)
        {
            if (!_states.TryGetValue(webhook.Id, out var s))
            {
                if (rate == 0 && concurrency == 0) return LimitDecision.Go; // the usual webhook: nothing to keep
                _states[webhook.Id] = s = new State();
            }
            // A receiver asked for a pause (Retry-After): every job of the webhook waits for it.
            if (s.NotBefore > now && !ownRetryAfter) return new(false, s.NotBefore);
            if (rate > 0 && !s.Reserved.Remove(jobId))
            {
                var interval = TimeSpan.FromTicks(TimeSpan.TicksPerSecond / rate);
                var at = s.Tat > now ? s.Tat : now;
                s.Tat = at + interval;
                if (at > now)
                {
                    s.Reserved.Add(jobId);
                    return new(false, at);
                }
            }
            if (concurrency > 0 && s.InFlight >= concurrency)
            {
                s.Parked.Enqueue(jobId);
                return LimitDecision.Parked;
            }
            s.InFlight++;
            return LimitDecision.Go;
        }
    }

    /// <summary>A send of the webhook ended: the job parked longest, if any, may go now.</summary>
    public Guid? Ended(Guid webhookId, DateTime now)
    {
        lock (_lock)
        {
            if (!_states.TryGetValue(webhookId, out var s)) return null;
            s.InFlight = Math.Max(0, s.InFlight - 1);
            if (s.Parked.TryDequeue(out var next)) return next;
            if (s.InFlight == 0 && s.Reserved.Count == 0 && s.NotBefore <= now && s.Tat <= now) _states.Remove(webhookId);
            return null;
        }
    }

    /// <summary>A 429 or 503 with <c>Retry-After</c>: the webhook's jobs wait until <paramref name="until"/>.</summary>
    public void SlowDown(Guid webhookId, DateTime until)
    {
        lock (_lock)
        {
            if (!_states.TryGetValue(webhookId, out var s)) _states[webhookId] = s = new State();
            if (until > s.NotBefore) s.NotBefore = until;
        }
    }
}
