using WebhookConsole.Dispatching.Ledger;

namespace WebhookConsole.Dispatching.Lanes;

/// <summary>
/// The fast lane's memory, under one lock: which job is due when (a timer per job; a superseded one is skipped),
/// which jobs are busy (being leased, sent or recorded: a job comes due again only once it is out of that set),
/// the new jobs kept as ingestion wrote them, and the send slots taken. A slot frees when its send ends, before the
/// attempt is recorded.
/// </summary>
internal sealed class LaneTimers(int maxSends, int freshLimit)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, DateTime> _waiting = [];
    private readonly PriorityQueue<Guid, DateTime> _timers = new();
    private readonly HashSet<Guid> _busy = [];
    /// <summary>Jobs asked for while busy: due now once their attempt is recorded.</summary>
    private readonly HashSet<Guid> _again = [];
    private readonly Dictionary<Guid, LeasedJob> _fresh = [];
    /// <summary>Jobs waiting for a send of their webhook to end (its concurrency limit): the poll leaves them alone.</summary>
    private readonly HashSet<Guid> _parked = [];
    private int _taken;

    public int FreshCapacity
    {
        get { lock (_lock) return Math.Max(0, freshLimit - _fresh.Count); }
    }

    public int BusyCount
    {
        get { lock (_lock) return _busy.Count; }
    }

    public void AddFresh(IReadOnlyList<LeasedJob> jobs, DateTime now)
    {
        lock (_lock)
        {
            foreach (var job in jobs)
            {
                _fresh[job.Job.Id] = job;
                Add(job.Job.Id, now);
            }
        }
    }

    public void AddAll(IEnumerable<Guid> ids, DateTime due)
    {
        lock (_lock)
        {
            foreach (var id in ids) Add(id, due);
        }
    }

    /// <summary>Jobs the database says are due, each at the moment it may be leased; those held already are skipped.</summary>
    public int AddFromDatabase(IEnumerable<DueJob> due)
    {
        var added = 0;
        lock (_lock)
        {
            foreach (var job in due)
            {
                if (_waiting.ContainsKey(job.Id) || _busy.Contains(job.Id) || _parked.Contains(job.Id)) continue;
                // A leased job is free just after its lease ends.
                var at = job.LeaseUntil is { } lease && lease > job.NextAttemptAt ? lease.AddMilliseconds(1) : job.NextAttemptAt!.Value;
                Add(job.Id, at);
                added++;
            }
        }
        return added;
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> due jobs, each with a send slot, and says how long to sleep when none is
    /// due. Only free slots are promised: a storm of due retries waits on the timer, not in a lease that could lapse
    /// before its send starts.
    /// </summary>
    public List<Guid> TakeDue(int max, DateTime now, TimeSpan longestWait, out TimeSpan wait)
    {
        List<Guid> due = [];
        lock (_lock)
        {
            var free = maxSends - _taken;
            while (due.Count < Math.Min(max, free) && _timers.TryPeek(out var id, out var at) && at <= now)
            {
                _timers.Dequeue();
                if (!_waiting.TryGetValue(id, out var current) || current != at) continue; // superseded
                _waiting.Remove(id);
                _busy.Add(id);
                _taken++;
                due.Add(id);
            }
            wait = free > 0 && _timers.TryPeek(out _, out var next) ? next - now : longestWait;
        }
        return due;
    }

    /// <summary>
    /// Of the jobs taken, those kept as written whose lease outlasts the attempt by <paramref name="reserve"/>; the
    /// others must be leased from the database (<paramref name="ownLeases"/>: fresh ones whose lease is renewed).
    /// </summary>
    public (List<LeasedJob> Ready, List<Guid> ToLease, Dictionary<Guid, DateTime>? OwnLeases) SortTaken(List<Guid> due, DateTime now, TimeSpan reserve)
    {
        var ready = new List<LeasedJob>(due.Count);
        var toLease = new List<Guid>();
        Dictionary<Guid, DateTime>? own = null;
        lock (_lock)
        {
            foreach (var id in due)
            {
                if (!_fresh.Remove(id, out var job)) toLease.Add(id);
                else if (job.Job.LeaseUntil > now + reserve) ready.Add(job);
                else
                {
                    toLease.Add(id);
                    (own ??= [])[id] = job.Job.LeaseUntil!.Value;
                }
            }
        }
        return (ready, toLease, own);
    }

    /// <summary>Jobs taken but not sent (the lease went elsewhere): their slots and busy marks are given back.</summary>
    public void GiveBack(IEnumerable<Guid> ids, DateTime now)
    {
        lock (_lock)
        {
            foreach (var id in ids)
            {
                Release(id, now);
                _taken--;
            }
        }
    }

    /// <summary>
    /// Jobs taken but held back by their webhook's limits: their slots and busy marks are given back, and each waits
    /// for its time (a parked one, with no time, is added again when a send of its webhook ends).
    /// </summary>
    public void Defer(IEnumerable<(Guid Id, DateTime? At)> jobs, DateTime now)
    {
        lock (_lock)
        {
            foreach (var (id, at) in jobs)
            {
                _fresh.Remove(id); // its lease was given back: the database row is what counts now
                Release(id, now);
                _taken--;
                if (at is { } due) Add(id, due);
                else _parked.Add(id);
            }
        }
    }

    public void SendEnded()
    {
        lock (_lock) _taken--;
    }

    /// <summary>An attempt is recorded: the job is free, and timed again when its next attempt is near.</summary>
    public void Done(Guid id, DateTime now, DateTime? next)
    {
        lock (_lock)
        {
            Release(id, now);
            if (next is { } at) Add(id, at);
        }
    }

    /// <summary>Marks a job busy for an attempt made outside the loop (the Test button); false when it is busy already.</summary>
    public bool TryHold(Guid id)
    {
        lock (_lock)
        {
            if (!_busy.Add(id)) return false;
            _waiting.Remove(id);
            return true;
        }
    }

    public void Unhold(Guid id, DateTime now)
    {
        lock (_lock) Release(id, now);
    }

    /// <summary>Under the lock. An earlier time wins; a busy job is asked for again when it is done.</summary>
    private void Add(Guid id, DateTime due)
    {
        _parked.Remove(id);
        if (_busy.Contains(id))
        {
            _again.Add(id);
            return;
        }
        if (_waiting.TryGetValue(id, out var existing) && existing <= due) return;
        _waiting[id] = due;
        _timers.Enqueue(id, due);
    }

    private void Release(Guid id, DateTime now)
    {
        _busy.Remove(id);
        if (_again.Remove(id)) Add(id, now);
    }
}
