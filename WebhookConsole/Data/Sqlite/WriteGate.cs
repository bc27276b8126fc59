using System.Diagnostics;

namespace WebhookConsole.Data.Sqlite;

/// <summary>
/// SQLite lets one connection write at a time. Writers that meet SQLITE_BUSY are retried by
/// Microsoft.Data.Sqlite after a 150 ms sleep each time, which collapses throughput under load (the figures:
/// docs/performance.md, "Numbers behind the code"). The hot writers of this process — ingestion and the
/// delivery ledger — queue here instead, in order, and hold the gate only for the span of one transaction.
/// On PostgreSQL (<c>exclusive: false</c>) writers do not queue: the server takes concurrent transactions, and the
/// instances of a cluster write side by side anyway.
/// The gate also tells background work whether the console is busy: <see cref="IdleFor"/> is zero while a write
/// other than a background one (<see cref="EnterBackgroundAsync"/>) is under way, and the time since it ended after.
/// </summary>
public sealed class WriteGate(bool exclusive = true)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _exclusive = exclusive;
    private long _lastWrite = long.MinValue / 2;
    private int _writing;

    /// <summary>Waits for the gate for a write of the console's own work (events in, deliveries, health).</summary>
    public async ValueTask<Releaser> EnterAsync(CancellationToken ct = default)
    {
        if (_exclusive) await _gate.WaitAsync(ct);
        Interlocked.Increment(ref _writing);
        return new Releaser(this, counts: true);
    }

    /// <summary>Waits for the gate for background work, which does not count as the console being busy.</summary>
    public async ValueTask<Releaser> EnterBackgroundAsync(CancellationToken ct = default)
    {
        if (_exclusive) await _gate.WaitAsync(ct);
        return new Releaser(this, counts: false);
    }

    /// <summary>
    /// How long since the console's own last write ended (real time: it is about the CPU, not the clock); zero while
    /// one is under way. Counted from the end, not the start: a group commit that takes longer than the indexers'
    /// busy window (PostgreSQL's often do) does not make a busy console look idle.
    /// </summary>
    public TimeSpan IdleFor => Volatile.Read(ref _writing) > 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Volatile.Read(ref _lastWrite));

    public readonly struct Releaser(WriteGate owner, bool counts) : IDisposable
    {
        public void Dispose()
        {
            if (counts)
            {
                // A plain store: a stale read costs an indexer one more pause at most, and this runs on every hot write.
                owner._lastWrite = Stopwatch.GetTimestamp();
                Interlocked.Decrement(ref owner._writing);
            }
            if (owner._exclusive) owner._gate.Release();
        }
    }
}
