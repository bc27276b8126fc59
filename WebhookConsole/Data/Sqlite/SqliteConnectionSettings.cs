using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WebhookConsole.Data.Sqlite;

/// <summary>How hard SQLite makes sure a commit is on disk (<c>Database:Synchronous</c>).</summary>
public enum SqliteSynchronous { Normal, Full }

/// <summary>
/// Per-connection settings. Writers outside the gate (a page's save, an API key's last-used stamp) still meet
/// the gate's holder now and then: SQLite's own busy handler waits for the lock in milliseconds rather than
/// the driver's 150 ms sleeps. The page cache is kept small because every pooled connection has its
/// own and the OS caches the file anyway: it trims the peak working set under load without costing throughput. <c>synchronous</c> is per connection too (only the journal mode is kept in
/// the file): NORMAL by default, which in WAL mode keeps every commit across a crash or kill of the process and
/// never corrupts the file, and syncs the disk at checkpoints instead of at every commit; FULL syncs every commit,
/// so that a power cut or an OS crash cannot take back the last acknowledged events either
/// (<c>Database:Synchronous</c>). All live on the native connection, which the pool keeps, so they are set on
/// each open. Checkpoints are left to <see cref="WalCheckpointer"/>; a connection checkpoints by itself only when
/// the log has grown past <see cref="WalCheckpointer.SafetyNetPages"/> (the checkpointer has stalled).
/// </summary>
internal sealed class SqliteConnectionSettings(SqliteSynchronous synchronous) : DbConnectionInterceptor
{
    private readonly string _pragmas = $"PRAGMA busy_timeout = 30000; PRAGMA cache_size = -512; PRAGMA synchronous = {synchronous.ToString().ToUpperInvariant()}; PRAGMA wal_autocheckpoint = {WalCheckpointer.SafetyNetPages};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
