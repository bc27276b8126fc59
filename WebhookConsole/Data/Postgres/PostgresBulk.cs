using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace WebhookConsole.Data.Postgres;

/// <summary>
/// <see cref="BulkWriter"/> on PostgreSQL. Inserts go in as one binary <c>COPY</c> per group commit: no statement to
/// parse, bind and plan per row. Updates are one command per row, all in one <see cref="NpgsqlBatch"/>, so a group
/// commit of a few hundred rows is one round trip to the server rather than one per row; each command's
/// <see cref="NpgsqlBatchCommand.RecordsAffected"/> says whether its row was changed.
/// </summary>
internal static class PostgresBulk
{
    /// <summary>Rows per round trip: bounded so one batch's parameters stay well inside the protocol's limits.</summary>
    private const int RowsPerBatch = 1000;

    public static async Task<List<T>> ExecuteAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string text, IReadOnlyCollection<T> rows,
        RelationalTypeMapping[] mappings, IClrPropertyGetter[] getters, CancellationToken ct) where T : class
    {
        var unchanged = new List<T>();
        foreach (var chunk in rows.Chunk(RowsPerBatch))
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var row in chunk)
            {
                var command = new NpgsqlBatchCommand(text);
                for (var i = 0; i < mappings.Length; i++)
                {
                    // Positional ($1, $2, …), typed by the value; a null takes the column's type from the statement.
                    command.Parameters.Add(new NpgsqlParameter { Value = BulkWriter.ProviderValue(mappings[i], getters[i].GetClrValue(row)) ?? DBNull.Value });
                }
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(ct);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (batch.BatchCommands[i].RecordsAffected == 0) unchanged.Add(chunk[i]);
            }
        }
        return unchanged;
    }

    /// <summary>Inserts the rows with one binary COPY (the table's triggers fire as for INSERT).</summary>
    public static async Task CopyAsync<T>(NpgsqlConnection connection, string table, IReadOnlyList<string> columns, IReadOnlyCollection<T> rows,
        RelationalTypeMapping[] mappings, IClrPropertyGetter[] getters, CancellationToken ct) where T : class
    {
        // The column's type without its modifier ("character varying(16)" is written as "character varying").
        var types = mappings.Select(m => m.StoreType.Split('(')[0]).ToArray();
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            for (var i = 0; i < mappings.Length; i++)
            {
                if (BulkWriter.ProviderValue(mappings[i], getters[i].GetClrValue(row)) is { } value) await importer.WriteAsync(value, types[i], ct);
                else await importer.WriteNullAsync(ct);
            }
        }
        await importer.CompleteAsync(ct);
    }
}
