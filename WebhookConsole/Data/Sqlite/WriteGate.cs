using System.Diagnostics;

namespace WebhookConsole.Data.Sqlite;

/// <summary>
/// SQLite lets one connection write at a time. Writers that meet SQLITE_BUSY are retried by
/// Microsoft.Data.Sqlite after a 150 ms sleep each time, which collapses throughput under load (the figures:
/// docs/performance.md, "Numbers behind the code"). The hot writers of this process — ingestion and the
/// delivery ledger — queue here instead, in order, and hold the gate only for the span of one transaction.
/// The gate also tells background work whether the console is busy: <see cref="IdleFor"/> is the time since
/// the last write other than a background one (<see cref="EnterBackgroundAsync"/>).
/// </summary>
public sealed class WriteGate
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _lastWrite = long.MinValue / 2;

    /// <summary>Waits for the gate for a write of the console's own work (events in, deliveries, health).</summary>
    public async ValueTask<Releaser> EnterAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        // A plain store: a stale read costs the indexer one more pause at most, and this runs on every hot write.
        _lastWrite = Stopwatch.GetTimestamp();
        return new Releaser(_gate);
    }

    /// <summary>Waits for the gate for background work, which does not count as the console being busy.</summary>
    public async ValueTask<Releaser> EnterBackgroundAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        return new Releaser(_gate);
    }

    /// <summary>How long since the last write of the console's own work (real time: it is about the CPU, not the clock).</summary>
    public TimeSpan IdleFor => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastWrite));

    public readonly struct Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
