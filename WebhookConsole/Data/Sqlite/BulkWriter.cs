using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using SQLitePCL;

namespace WebhookConsole.Data.Sqlite;

/// <summary>
/// Inserts and updates many rows of one entity type through one prepared statement, inside the context's
/// current transaction. The delivery hot paths write tens of thousands of rows a second; EF's change tracker
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
        var text = $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.GetColumnName())))}) " +
                   $"VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";
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
        var text = $"UPDATE {TableName(entity, sql)} SET {string.Join(", ", set.Select((c, i) => $"{sql.DelimitIdentifier(c.GetColumnName())} = @p{i}"))} " +
                   $"WHERE {string.Join(" AND ", key.Select((c, i) => $"{sql.DelimitIdentifier(c.GetColumnName())} = @p{set.Count + i}"))}" +
                   (condition is null ? "" : $" AND ({condition})");
        return await ExecuteForEachAsync(db, text, rows, columns, ct);
    }

    private static async Task<List<T>> ExecuteForEachAsync<T>(AppDbContext db, string text, IReadOnlyCollection<T> rows, List<IProperty> columns, CancellationToken ct) where T : class
    {
        var unchanged = new List<T>();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var mappings = columns.Select(c => c.GetRelationalTypeMapping()).ToArray();
            var getters = columns.Select(c => c.GetGetter()).ToArray();
            var kinds = mappings.Select(RawKindOf).ToArray();
            if (db.Database.GetDbConnection() is SqliteConnection sqlite && !kinds.Contains(RawKind.Other))
            {
                ExecuteRaw(sqlite, text, rows, mappings, getters, kinds, unchanged);
                return unchanged;
            }

            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = text;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            DbParameter[]? parameters = null;
            foreach (var row in rows)
            {
                if (parameters is null)
                {
                    // Built once by each property's type mapping (type, size, converter); later rows only change values.
                    parameters = new DbParameter[columns.Count];
                    for (var i = 0; i < columns.Count; i++)
                    {
                        parameters[i] = mappings[i].CreateParameter(command, "@p" + i, getters[i].GetClrValue(row), columns[i].IsNullable);
                        command.Parameters.Add(parameters[i]);
                    }
                }
                else
                {
                    for (var i = 0; i < columns.Count; i++) parameters[i].Value = ProviderValue(mappings[i], getters[i].GetClrValue(row)) ?? DBNull.Value;
                }
                // Microsoft.Data.Sqlite runs commands synchronously; the async overload only adds a Task per row.
                if (command.ExecuteNonQuery() == 0) unchanged.Add(row);
            }
            return unchanged;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static object? ProviderValue(RelationalTypeMapping mapping, object? value) =>
        value is not null && mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value;

    /// <summary>How a column's values are bound on the raw statement; <see cref="RawKind.Other"/> sends the whole statement through ADO.NET.</summary>
    private enum RawKind { Text, Integer, Real, Blob, Guid, Other }

    private static RawKind RawKindOf(RelationalTypeMapping mapping)
    {
        if (mapping.Converter is GuidBytesConverter) return RawKind.Guid;
        var type = mapping.Converter?.ProviderClrType ?? mapping.ClrType;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return RawKind.Text;
        if (type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(byte) || type == typeof(bool)) return RawKind.Integer;
        if (type == typeof(double) || type == typeof(float)) return RawKind.Real;
        if (type == typeof(byte[])) return RawKind.Blob;
        return RawKind.Other;
    }

    /// <summary>
    /// One prepared statement, values bound by position straight from the row: Microsoft.Data.Sqlite looks every
    /// parameter up by name and allocates a binder and a UTF-8 copy of each text per execution, which was a
    /// tenth of the console's allocations under load. Texts are bound as UTF-16 (SQLite converts natively); ids are
    /// written into a stack buffer exactly as <see cref="GuidBytesConverter"/> writes them.
    /// </summary>
    private static void ExecuteRaw<T>(SqliteConnection connection, string text, IReadOnlyCollection<T> rows, RelationalTypeMapping[] mappings,
        IClrPropertyGetter[] getters, RawKind[] kinds, List<T> unchanged) where T : class
    {
        var handle = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(handle, text, out var statement), handle);
        using (statement)
        {
            // Each parameter appears once, in order (@p0, @p1, …), so SQLite numbers them 1, 2, … as bound here.
            if (raw.sqlite3_bind_parameter_count(statement) != kinds.Length) throw new InvalidOperationException($"Expected {kinds.Length} parameters in: {text}");
            foreach (var row in rows)
            {
                for (var i = 0; i < kinds.Length; i++)
                {
                    var value = getters[i].GetClrValue(row);
                    Check(Bind(statement, i + 1, kinds[i], kinds[i] == RawKind.Guid ? value : ProviderValue(mappings[i], value)), handle);
                }
                var rc = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                if (rc != raw.SQLITE_DONE) Check(rc, handle);
                if (raw.sqlite3_changes(handle) == 0) unchanged.Add(row);
            }
        }
    }

    private static int Bind(sqlite3_stmt statement, int index, RawKind kind, object? value)
    {
        if (value is null) return raw.sqlite3_bind_null(statement, index);
        switch (kind)
        {
            case RawKind.Text:
                return raw.sqlite3_bind_text16(statement, index, ((string)value).AsSpan());
            case RawKind.Integer:
                return raw.sqlite3_bind_int64(statement, index, value is bool b ? (b ? 1 : 0) : Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case RawKind.Real:
                return raw.sqlite3_bind_double(statement, index, Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case RawKind.Blob:
                return raw.sqlite3_bind_blob(statement, index, (byte[])value);
            case RawKind.Guid:
            {
                // As GuidBytesConverter writes it, without its array.
                Span<byte> bytes = stackalloc byte[16];
                ((Guid)value).TryWriteBytes(bytes, bigEndian: true, out _);
                return raw.sqlite3_bind_blob(statement, index, bytes);
            }
            default:
                throw new UnreachableException($"Columns of kind {kind} take the ADO.NET path.");
        }
    }

    private static void Check(int rc, sqlite3 handle)
    {
        if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(rc, handle);
    }

    private static IEntityType Entity<T>(AppDbContext db) =>
        db.Model.FindEntityType(typeof(T)) ?? throw new ArgumentException($"{typeof(T).Name} is not part of the model.");

    private static string TableName(IEntityType entity, ISqlGenerationHelper sql) =>
        sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());

    private static bool IsStoreGenerated(IProperty p) =>
        p.ValueGenerated != Microsoft.EntityFrameworkCore.Metadata.ValueGenerated.Never && p.IsPrimaryKey() && (p.ClrType == typeof(long) || p.ClrType == typeof(int));
}
