using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace WebhookConsole.Data.Sqlite;

/// <summary>
/// SQLite stores a date as the UTC ticks (an 8-byte integer) rather than EF's default 27-character text: every
/// job row and four of its indexes carry a date, and the integer keeps the same order and every tick of precision.
/// Everything is stored in UTC; reading it back says so, or comparisons and display drift.
/// </summary>
public sealed class UtcTicksConverter() : ValueConverter<DateTime, long>(
    v => Ticks(v),
    v => new DateTime(v, DateTimeKind.Utc))
{
    public static long Ticks(DateTime v) => (v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime()).Ticks;
}

/// <summary>
/// SQLite stores an id as its 16 bytes rather than EF's default 36-character text. Big-endian (RFC 4122 order),
/// so blobs sort as the text did: version-7 ids stay in creation order.
/// </summary>
public sealed class GuidBytesConverter() : ValueConverter<Guid, byte[]>(
    v => v.ToByteArray(true),
    v => new Guid(v, true));
