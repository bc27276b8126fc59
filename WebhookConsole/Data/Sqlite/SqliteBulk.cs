using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using SQLitePCL;

namespace WebhookConsole.Data.Sqlite;

/// <summary><see cref="BulkWriter"/> on SQLite: one prepared statement, stepped once per row.</summary>
internal static class SqliteBulk
{
    public static List<T> Execute<T>(DbConnection connection, DbTransaction? transaction, string text, IReadOnlyCollection<T> rows, List<IProperty> columns,
        RelationalTypeMapping[] mappings, IClrPropertyGetter[] getters) where T : class
    {
        var unchanged = new List<T>();
        var kinds = mappings.Select(RawKindOf).ToArray();
        if (connection is SqliteConnection sqlite && !kinds.Contains(RawKind.Other))
        {
            ExecuteRaw(sqlite, text, rows, mappings, getters, kinds, unchanged);
            return unchanged;
        }

        using var command = connection.CreateCommand();
        command.CommandText = text;
        command.Transaction = transaction;
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
                for (var i = 0; i < columns.Count; i++) parameters[i].Value = BulkWriter.ProviderValue(mappings[i], getters[i].GetClrValue(row)) ?? DBNull.Value;
            }
            // Microsoft.Data.Sqlite runs commands synchronously; the async overload only adds a Task per row.
            if (command.ExecuteNonQuery() == 0) unchanged.Add(row);
        }
        return unchanged;
    }

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
                    Check(Bind(statement, i + 1, kinds[i], kinds[i] == RawKind.Guid ? value : BulkWriter.ProviderValue(mappings[i], value)), handle);
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

}
