using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using WebhookConsole.Data.Postgres;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data;

/// <summary>
/// Inserts and updates many rows of one entity type with one statement text, inside the context's current
/// transaction: on SQLite one prepared statement stepped per row (<see cref="SqliteBulk"/>), on PostgreSQL a binary
/// COPY for inserts and one batch of commands in one round trip for updates (<see cref="PostgresBulk"/>). The delivery hot paths write tens of thousands of rows a second; EF's change tracker
/// costs several times the database's own work per row there. Columns, names and value conversions come from
/// the EF model (each property's type mapping builds its parameter), so rows read back exactly as if EF had
/// written them. Store-generated keys are left to the database and not read back.
/// </summary>
public static class BulkWriter
{
    public static async Task InsertAsync<T>(this AppDbContext db, IReadOnlyCollection<T> rows, CancellationToken ct = default) where T : class
    {
        if (rows.Count == 0) return;
        var entity = Entity<T>(db);
        var columns = entity.GetProperties().Where(p => !IsStoreGenerated(p)).ToList();
        var sql = db.GetService<ISqlGenerationHelper>();
        var table = TableName(entity, sql);
        if (db.Database.IsNpgsql())
        {
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                await PostgresBulk.CopyAsync((NpgsqlConnection)db.Database.GetDbConnection(), table, columns.Select(c => sql.DelimitIdentifier(c.GetColumnName())).ToList(), rows,
                    columns.Select(c => (RelationalTypeMapping)c.GetRelationalTypeMapping()).ToArray(), columns.Select(c => c.GetGetter()).ToArray(), ct);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
            return;
        }
        var text = $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.GetColumnName())))}) " +
                   $"VALUES ({string.Join(", ", columns.Select((_, i) => Placeholder(db, i)))})";
        await ExecuteForEachAsync(db, text, rows, columns, ct);
    }

    /// <summary>
    /// Writes the named properties of each row, found by its primary key and, with <paramref name="condition"/>,
    /// only where that SQL condition also holds. Returns the rows the statement did not change.
    /// </summary>
    public static async Task<List<T>> UpdateAsync<T>(this AppDbContext db, IReadOnlyCollection<T> rows, IReadOnlyList<string> properties, string? condition = null,
        CancellationToken ct = default) where T : class
    {
        if (rows.Count == 0) return [];
        var entity = Entity<T>(db);
        var key = entity.FindPrimaryKey()!.Properties;
        var set = properties.Select(name => entity.FindProperty(name) ?? throw new ArgumentException($"{typeof(T).Name} has no property {name}.")).ToList();
        var sql = db.GetService<ISqlGenerationHelper>();
        var columns = set.Concat(key).ToList();
        var text = $"UPDATE {TableName(entity, sql)} SET {string.Join(", ", set.Select((c, i) => $"{sql.DelimitIdentifier(c.GetColumnName())} = {Placeholder(db, i)}"))} " +
                   $"WHERE {string.Join(" AND ", key.Select((c, i) => $"{sql.DelimitIdentifier(c.GetColumnName())} = {Placeholder(db, set.Count + i)}"))}" +
                   (condition is null ? "" : $" AND ({condition})");
        return await ExecuteForEachAsync(db, text, rows, columns, ct);
    }

    /// <summary>The i-th parameter in the statement text: named on SQLite (bound by position all the same), positional on PostgreSQL.</summary>
    private static string Placeholder(AppDbContext db, int i) => db.Database.IsNpgsql() ? "$" + (i + 1) : "@p" + i;

    private static async Task<List<T>> ExecuteForEachAsync<T>(AppDbContext db, string text, IReadOnlyCollection<T> rows, List<IProperty> columns, CancellationToken ct) where T : class
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var mappings = columns.Select(c => (RelationalTypeMapping)c.GetRelationalTypeMapping()).ToArray();
            var getters = columns.Select(c => c.GetGetter()).ToArray();
            var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            return db.Database.GetDbConnection() switch
            {
                NpgsqlConnection postgres => await PostgresBulk.ExecuteAsync(postgres, (NpgsqlTransaction?)transaction, text, rows, mappings, getters, ct),
                var connection => SqliteBulk.Execute(connection, transaction, text, rows, columns, mappings, getters),
            };
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>What the database is given for a property's value: the value through the property's converter.</summary>
    internal static object? ProviderValue(RelationalTypeMapping mapping, object? value) =>
        value is not null && mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value;

    private static IEntityType Entity<T>(AppDbContext db) =>
        db.Model.FindEntityType(typeof(T)) ?? throw new ArgumentException($"{typeof(T).Name} is not part of the model.");

    private static string TableName(IEntityType entity, ISqlGenerationHelper sql) =>
        sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());

    private static bool IsStoreGenerated(IProperty p) =>
        p.ValueGenerated != Microsoft.EntityFrameworkCore.Metadata.ValueGenerated.Never && p.IsPrimaryKey() && (p.ClrType == typeof(long) || p.ClrType == typeof(int));
}
