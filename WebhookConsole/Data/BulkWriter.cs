using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace WebhookConsole.Data;

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

    /// <summary>Writes the named properties of each row, found by its primary key.</summary>
    public static async Task UpdateAsync<T>(this AppDbContext db, IReadOnlyCollection<T> rows, IReadOnlyList<string> properties, CancellationToken ct = default) where T : class
    {
        if (rows.Count == 0) return;
        var entity = Entity<T>(db);
        var key = entity.FindPrimaryKey()!.Properties;
        var set = properties.Select(name => entity.FindProperty(name) ?? throw new ArgumentException($"{typeof(T).Name} has no property {name}.")).ToList();
        var sql = db.GetService<ISqlGenerationHelper>();
        var columns = set.Concat(key).ToList();
        var text = $"UPDATE {TableName(entity, sql)} SET {string.Join(", ", set.Select((c, i) => $"{sql.DelimitIdentifier(c.GetColumnName())} = @p{i}"))} " +
                   $"WHERE {string.Join(" AND ", key.Select((c, i) => $"{sql.DelimitIdentifier(c.GetColumnName())} = @p{set.Count + i}"))}";
        await ExecuteForEachAsync(db, text, rows, columns, ct);
    }

    private static async Task ExecuteForEachAsync<T>(AppDbContext db, string text, IReadOnlyCollection<T> rows, List<IProperty> columns, CancellationToken ct) where T : class
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = text;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            var mappings = columns.Select(c => c.GetRelationalTypeMapping()).ToArray();
            var getters = columns.Select(c => c.GetGetter()).ToArray();
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
                    for (var i = 0; i < columns.Count; i++)
                    {
                        var value = getters[i].GetClrValue(row);
                        if (value is not null && mappings[i].Converter is { } converter) value = converter.ConvertToProvider(value);
                        parameters[i].Value = value ?? DBNull.Value;
                    }
                }
                // Microsoft.Data.Sqlite runs commands synchronously; the async overload only adds a Task per row.
                command.ExecuteNonQuery();
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static IEntityType Entity<T>(AppDbContext db) =>
        db.Model.FindEntityType(typeof(T)) ?? throw new ArgumentException($"{typeof(T).Name} is not part of the model.");

    private static string TableName(IEntityType entity, ISqlGenerationHelper sql) =>
        sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());

    private static bool IsStoreGenerated(IProperty p) =>
        p.ValueGenerated != Microsoft.EntityFrameworkCore.Metadata.ValueGenerated.Never && p.IsPrimaryKey() && (p.ClrType == typeof(long) || p.ClrType == typeof(int));
}
