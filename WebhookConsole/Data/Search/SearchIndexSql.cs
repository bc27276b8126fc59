using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data.Search;

/// <summary>The search index file's SQL: its tables and version, its marks, and reading, inserting and deleting rows.</summary>
internal static class SearchIndexSql
{
    /// <summary>Opens the index file, creating its tables, or building it again when it is of another version.</summary>

    internal static SqliteConnection OpenIndex(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        Execute(connection, null, "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
        using var version = connection.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        if ((long)version.ExecuteScalar()! == JobSearch.Version) return connection;
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, $"""
            DROP TABLE IF EXISTS "WebhookJobSearch";
            DROP TABLE IF EXISTS "JobAttemptSearch";
            DROP TABLE IF EXISTS "SearchIndexMarks";
            CREATE VIRTUAL TABLE "WebhookJobSearch" USING fts5("Text", content='', contentless_delete=1);
            CREATE VIRTUAL TABLE "JobAttemptSearch" USING fts5("Text", content='', contentless_delete=1);
            CREATE TABLE "SearchIndexMarks" ("Kind" INTEGER NOT NULL PRIMARY KEY, "Mark" INTEGER NOT NULL);
            INSERT INTO "SearchIndexMarks" VALUES ({JobSearch.JobKind}, 0), ({JobSearch.AttemptKind}, 0);
            PRAGMA user_version = {JobSearch.Version};
            """);
        tx.Commit();
        return connection;
    }

    internal static (long Jobs, long Attempts) ReadMarks(SqliteConnection index, SqliteTransaction? tx = null)
    {
        using var command = index.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """SELECT "Kind", "Mark" FROM "SearchIndexMarks" """;
        using var reader = command.ExecuteReader();
        long jobs = 0, attempts = 0;
        while (reader.Read())
        {
            if (reader.GetInt32(0) == JobSearch.JobKind) jobs = reader.GetInt64(1);
            else attempts = reader.GetInt64(1);
        }
        return (jobs, attempts);
    }

    internal static void SetMark(SqliteConnection index, SqliteTransaction tx, int kind, long mark)
    {
        using var command = index.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """UPDATE "SearchIndexMarks" SET "Mark" = $mark WHERE "Kind" = $kind""";
        command.Parameters.AddWithValue("$mark", mark);
        command.Parameters.AddWithValue("$kind", kind);
        command.ExecuteNonQuery();
    }

    internal static List<(long Row, string? Text)> Read(SqliteConnection main, SqliteTransaction tx, string sql, long mark, int limit)
    {
        using var command = main.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$mark", mark);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var rows = new List<(long, string?)>();
        while (reader.Read()) rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        return rows;
    }

    internal static List<(long Row, string? Text)> ReadRows(SqliteConnection main, SqliteTransaction tx, string sql, IEnumerable<long> rows)
    {
        using var command = main.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        var row = command.Parameters.Add("$row", SqliteType.Integer);
        var found = new List<(long, string?)>();
        foreach (var id in rows.Distinct())
        {
            row.Value = id;
            using var reader = command.ExecuteReader();
            if (reader.Read()) found.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }
        return found;
    }

    /// <summary>Indexes the rows that have text (an attempt without a response body only moves the mark).</summary>

    internal static void Insert(SqliteConnection index, SqliteTransaction tx, string table, List<(long Row, string? Text)> rows)
    {
        using var command = index.CreateCommand();
        command.Transaction = tx;
        command.CommandText = $"""INSERT OR REPLACE INTO "{table}" (rowid, "Text") VALUES ($row, $text)""";
        var row = command.Parameters.Add("$row", SqliteType.Integer);
        var text = command.Parameters.Add("$text", SqliteType.Text);
        foreach (var (id, value) in rows)
        {
            if (string.IsNullOrEmpty(value)) continue;
            row.Value = id;
            text.Value = value;
            command.ExecuteNonQuery();
        }
    }

    internal static void Delete(SqliteConnection index, SqliteTransaction tx, string table, IEnumerable<long> rows)
    {
        using var command = index.CreateCommand();
        command.Transaction = tx;
        command.CommandText = $"""DELETE FROM "{table}" WHERE rowid = $row""";
        var row = command.Parameters.Add("$row", SqliteType.Integer);
        foreach (var id in rows.Distinct())
        {
            row.Value = id;
            command.ExecuteNonQuery();
        }
    }

    internal static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
