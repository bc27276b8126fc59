using System.Buffers;
using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using ZstdSharp;

namespace WebhookConsole.Data.Sqlite;

/// <summary>
/// On SQLite, the payload texts (a job's request body and its original, an edited attempt's body, an event's
/// context) are stored as zstd frames compressed against a built-in dictionary of the platform's vocabulary:
/// they were two thirds of a delivery's bytes on disk (a ~1 KB body 774 bytes, its event's context 684), and
/// compress to about half. Level -1 costs about 4 µs a payload to write and 0.5 µs to read.
/// <para>
/// A stored value is either a zstd frame (it starts with zstd's magic number, 28 B5 2F FD) or the text's plain
/// UTF-8 (short texts, texts that do not shrink, and every row written before this encoding, as TEXT): no valid
/// UTF-8 starts with those bytes, so the two cannot be confused, and old databases need no migration.
/// SQL that reads these columns goes through <c>wc_text(column)</c> (<see cref="Text(string)"/>) or
/// <c>wc_contains(column, text)</c> (<see cref="Contains(string, string)"/>), registered on every connection: text
/// search checks the exact text with the second. PostgreSQL keeps them as text (its own TOAST
/// compresses large values, and its search reads the text in SQL).
/// </para>
/// <para>
/// The dictionary (<c>payload-dictionary-v1.json</c>, embedded) is frozen: every frame written with it needs it
/// to be read, so a test pins its hash. A better one would be a formatted zstd dictionary with an id (its frames
/// carry the id, this one's carry none), kept beside this one.
/// </para>
/// </summary>
public static class PayloadText
{
    /// <summary>The SQL function that reads a stored payload as text.</summary>
    public const string SqlFunction = "wc_text";

    /// <summary>The SQL function that says whether a stored payload contains a text (instr's test, without making a string).</summary>
    public const string SqlContains = "wc_contains";

    /// <summary>zstd's fast levels trade a little size for speed; -1 kept 57 % of a context's bytes at a third of level 3's time.</summary>
    private const int Level = -1;

    /// <summary>Below this many bytes a frame's header and the dictionary's reach save nothing worth a call.</summary>
    private const int MinCompressBytes = 64;

    private static ReadOnlySpan<byte> Magic => [0x28, 0xB5, 0x2F, 0xFD];

    internal static readonly byte[] Dictionary = LoadDictionary();

    [ThreadStatic] private static Compressor? t_compressor;
    [ThreadStatic] private static Decompressor? t_decompressor;

    /// <summary>The bytes to store for <paramref name="text"/>.</summary>
    public static byte[] Encode(string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        if (length < MinCompressBytes) return Encoding.UTF8.GetBytes(text);
        var plain = ArrayPool<byte>.Shared.Rent(length);
        var frame = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(length));
        try
        {
            Encoding.UTF8.GetBytes(text, plain);
            var compressor = t_compressor ??= NewCompressor();
            var written = compressor.Wrap(plain.AsSpan(0, length), frame);
            return written < length ? frame.AsSpan(0, written).ToArray() : plain.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>The text of a stored value: a frame this class wrote, or plain UTF-8.</summary>
    public static string Decode(ReadOnlySpan<byte> stored)
    {
        if (!stored.StartsWith(Magic)) return Encoding.UTF8.GetString(stored);
        var plain = Decompress(stored, out var length);
        try
        {
            return Encoding.UTF8.GetString(plain, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    /// <summary>
    /// Whether the stored value's text contains <paramref name="text"/>, as SQLite's <c>instr</c> tests it (a byte
    /// match of valid UTF-8 is a character match). The search's scan calls it for every body of the window.
    /// </summary>
    public static bool Contains(ReadOnlySpan<byte> stored, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        if (!stored.StartsWith(Magic)) return stored.IndexOf(needle) >= 0;
        var plain = Decompress(stored, out var length);
        try
        {
            return plain.AsSpan(0, length).IndexOf(needle) >= 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    /// <summary>The frame's text as UTF-8 in a pooled array (return it), <paramref name="length"/> bytes long.</summary>
    private static byte[] Decompress(ReadOnlySpan<byte> frame, out int length)
    {
        var size = Decompressor.GetDecompressedSize(frame);
        if (size > int.MaxValue) throw new InvalidDataException("A stored payload's frame claims more than 2 GB.");
        var plain = ArrayPool<byte>.Shared.Rent((int)size);
        try
        {
            var decompressor = t_decompressor ??= NewDecompressor();
            length = decompressor.Unwrap(frame, plain.AsSpan(0, (int)size));
            return plain;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(plain);
            throw;
        }
    }

    /// <summary>Whether a stored value is compressed (for tests and diagnostics).</summary>
    public static bool IsCompressed(ReadOnlySpan<byte> stored) => stored.StartsWith(Magic);

    /// <summary>
    /// In LINQ on SQLite, the stored column as text (<c>wc_text</c>): <c>PayloadText.Text(j.RequestBody).Contains(s)</c>.
    /// Not callable in .NET.
    /// </summary>
    public static string Text(string stored) => throw new InvalidOperationException($"{nameof(PayloadText)}.{nameof(Text)} is translated to SQL and cannot run in .NET.");

    /// <summary>In LINQ on SQLite, whether the stored column contains <paramref name="text"/> (<c>wc_contains</c>). Not callable in .NET.</summary>
    public static bool Contains(string stored, string text) => throw new InvalidOperationException($"{nameof(PayloadText)}.{nameof(Contains)} is translated to SQL and cannot run in .NET.");

    /// <summary>Registers <c>wc_text</c> and <c>wc_contains</c> on a connection (every open: the native handle may be new).</summary>
    public static void Register(SqliteConnection connection)
    {
        connection.CreateFunction<byte[]?, string?>(SqlFunction, stored => stored is null ? null : Decode(stored), isDeterministic: true);
        connection.CreateFunction<byte[]?, string?, bool>(SqlContains, (stored, text) => stored is not null && text is not null && Contains(stored, text), isDeterministic: true);
    }

    private static Compressor NewCompressor()
    {
        var compressor = new Compressor(Level);
        compressor.LoadDictionary(Dictionary);
        return compressor;
    }

    private static Decompressor NewDecompressor()
    {
        var decompressor = new Decompressor();
        decompressor.LoadDictionary(Dictionary);
        return decompressor;
    }

    private static byte[] LoadDictionary()
    {
        using var stream = typeof(PayloadText).Assembly.GetManifestResourceStream("WebhookConsole.Data.Sqlite.payload-dictionary-v1.json")
            ?? throw new InvalidOperationException("The payload dictionary is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>A payload text stored through <see cref="PayloadText"/>.</summary>
public sealed class PayloadTextConverter() : ValueConverter<string, byte[]>(v => PayloadText.Encode(v), v => PayloadText.Decode(v));

/// <summary>Registers <c>wc_text</c> on every SQLite connection a context opens, whoever configured the context.</summary>
internal sealed class PayloadTextFunction : DbConnectionInterceptor
{
    public static readonly PayloadTextFunction Instance = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (connection is SqliteConnection sqlite) PayloadText.Register(sqlite);
    }

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ConnectionOpened(connection, eventData);
        return Task.CompletedTask;
    }
}
