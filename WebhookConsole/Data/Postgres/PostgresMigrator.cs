using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace WebhookConsole.Data.Postgres;

/// <summary>
/// Start-up on PostgreSQL: reach the server (saying what to fix when it cannot be reached), create the database
/// when it is missing and the user may, then apply the migrations under a session advisory lock, so that
/// instances starting together take turns: the first migrates, the others find nothing left to do.
/// </summary>
public static class PostgresMigrator
{
    /// <summary>The advisory lock's key: any constant the console's database uses for nothing else ("WHCONSOL").</summary>
    public const long MigrationLockKey = 0x5748434F4E534F4C;

    public static Task MigrateAsync(AppDbContext db, CancellationToken ct) => MigrateAsync(db, () => Task.CompletedTask, ct);

    /// <summary>
    /// Migrates, then runs <paramref name="andThen"/> (the start-up seeds: the first admin, Hangfire's schema) while
    /// still holding the lock, so that instances starting together neither migrate nor seed twice.
    /// </summary>
    public static async Task MigrateAsync(AppDbContext db, Func<Task> andThen, CancellationToken ct)
    {
        await OpenAsync(db, ct);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            command.Parameters.AddWithValue("key", MigrationLockKey);
            command.CommandTimeout = 0; // another instance may be migrating: wait for it, however long it takes
            await command.ExecuteNonQueryAsync(ct);
        }
        try
        {
            await db.Database.MigrateAsync(ct);
            await andThen();
        }
        finally
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            command.Parameters.AddWithValue("key", MigrationLockKey);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task OpenAsync(AppDbContext db, CancellationToken ct)
    {
        try
        {
            var creator = db.GetService<IRelationalDatabaseCreator>();
            // The check expects "does not exist" and logs no error for it, as opening would.
            if (!await creator.ExistsAsync(ct))
            {
                try
                {
                    await creator.CreateAsync(ct);
                }
                catch (Exception create) when (Cause(create) is PostgresException { SqlState: PostgresErrorCodes.DuplicateDatabase })
                {
                    // Another instance created it at the same moment.
                }
                catch (Exception create) when (Cause(create) is PostgresException pg)
                {
                    throw Unreachable(db, $"the database does not exist and could not be created ({pg.MessageText}); create it, or give the user CREATEDB", create);
                }
            }
            await db.Database.OpenConnectionAsync(ct);
        }
        catch (Exception ex) when (ex is not DatabaseUnavailableException && Cause(ex) is { } cause)
        {
            throw Unreachable(db, cause is PostgresException pg ? pg.MessageText : cause.Message, ex);
        }
    }

    /// <summary>The driver's exception under EF's wrappers (its execution strategy reports transient failures in its own).</summary>
    private static Exception? Cause(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException) return e;
        }
        return null;
    }

    private static DatabaseUnavailableException Unreachable(AppDbContext db, string why, Exception inner)
    {
        var csb = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString());
        return new DatabaseUnavailableException(
            $"Cannot use PostgreSQL at {csb.Host}:{csb.Port}, database '{csb.Database}', user '{csb.Username}': {why}. " +
            "Check ConnectionStrings:Console, that the server is running and reachable from here, and that the user may connect.", inner);
    }
}

/// <summary>The console cannot use its database; the message says what to check.</summary>
public sealed class DatabaseUnavailableException(string message, Exception inner) : InvalidOperationException(message, inner);
