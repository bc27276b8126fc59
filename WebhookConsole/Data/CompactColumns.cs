using System.Text;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data;

/// <summary>
/// Compact encodings for the lists every job, attempt and event stores. JSON repeated its property names in every
/// element (<c>{"name":…,"value":…}</c>, a 36-character id): about a fifth of what an attempt and an event stored.
/// </summary>
public static class CompactColumns
{
    /// <summary>
    /// Headers as the block they are on the wire, one <c>Name: value</c> per line; a secret header (its value masked)
    /// is written <c>Name:* value</c>. Backslash, CR and LF are escaped everywhere and the colon in names, so any list
    /// reads back exactly.
    /// </summary>
    public static PropertyBuilder<List<HeaderEntry>> HasHeaderBlockConversion(this PropertyBuilder<List<HeaderEntry>> property)
    {
        property.HasConversion(v => WriteHeaders(v), v => ReadHeaders(v), ListComparer<HeaderEntry>());
        return property;
    }

    /// <summary>Filtered-out webhooks as a blob: per webhook its 16-byte id (big-endian), the name's UTF-8 length (7-bit varint) and the name.</summary>
    public static PropertyBuilder<List<FilteredWebhook>> HasPackedConversion(this PropertyBuilder<List<FilteredWebhook>> property)
    {
        property.HasConversion(v => WriteFiltered(v), v => ReadFiltered(v), ListComparer<FilteredWebhook>());
        return property;
    }

    // Elements are immutable records: equal by value, and a shallow copy is a snapshot.
    private static ValueComparer<List<T>> ListComparer<T>() => new(
        (a, b) => a == null ? b == null : b != null && a.SequenceEqual(b),
        v => v.Aggregate(0, (h, e) => HashCode.Combine(h, e)),
        v => v.ToList());

    public static string WriteHeaders(List<HeaderEntry> headers)
    {
        if (headers.Count == 0) return "";
        var sb = new StringBuilder();
        foreach (var h in headers)
        {
            if (sb.Length > 0) sb.Append('\n');
            Escape(sb, h.Name, name: true);
            sb.Append(h.Secret ? ":* " : ": ");
            Escape(sb, h.Value, name: false);
        }
        return sb.ToString();
    }

    public static List<HeaderEntry> ReadHeaders(string block)
    {
        var list = new List<HeaderEntry>();
        if (string.IsNullOrEmpty(block)) return list;
        foreach (var line in block.Split('\n'))
        {
            var colon = UnescapedColon(line);
            if (colon < 0) throw new FormatException("A stored header line has no name separator.");
            var secret = colon + 1 < line.Length && line[colon + 1] == '*';
            var valueStart = colon + (secret ? 3 : 2);
            list.Add(new HeaderEntry(Unescape(line.AsSpan(0, colon)), valueStart <= line.Length ? Unescape(line.AsSpan(valueStart)) : "", secret));
        }
        return list;
    }

    private static void Escape(StringBuilder sb, string s, bool name)
    {
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case ':' when name: sb.Append(@"\:"); break;
                default: sb.Append(c); break;
            }
        }
    }

    private static int UnescapedColon(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\') i++;
            else if (line[i] == ':') return i;
        }
        return -1;
    }

    private static string Unescape(ReadOnlySpan<char> s)
    {
        if (s.IndexOf('\\') < 0) return s.ToString();
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length) { sb.Append(s[i]); continue; }
            sb.Append(s[++i] switch { 'n' => '\n', 'r' => '\r', var c => c });
        }
        return sb.ToString();
    }

    public static byte[] WriteFiltered(List<FilteredWebhook> list)
    {
        if (list.Count == 0) return [];
        var size = 0;
        foreach (var f in list) { var n = Encoding.UTF8.GetByteCount(f.Name); size += 16 + VarintSize(n) + n; }
        var buffer = new byte[size];
        var at = 0;
        foreach (var f in list)
        {
            f.Id.TryWriteBytes(buffer.AsSpan(at, 16), bigEndian: true, out _);
            at += 16;
            var n = Encoding.UTF8.GetByteCount(f.Name);
            for (var v = (uint)n; ; v >>= 7)
            {
                if (v < 0x80) { buffer[at++] = (byte)v; break; }
                buffer[at++] = (byte)(v | 0x80);
            }
            at += Encoding.UTF8.GetBytes(f.Name, buffer.AsSpan(at));
        }
        return buffer;
    }

    public static List<FilteredWebhook> ReadFiltered(byte[] packed)
    {
        var list = new List<FilteredWebhook>();
        var at = 0;
        while (at < packed.Length)
        {
            var id = new Guid(packed.AsSpan(at, 16), bigEndian: true);
            at += 16;
            int n = 0, shift = 0;
            while (true)
            {
                var b = packed[at++];
                n |= (b & 0x7F) << shift;
                if (b < 0x80) break;
                shift += 7;
            }
            list.Add(new FilteredWebhook(id, Encoding.UTF8.GetString(packed, at, n)));
            at += n;
        }
        return list;
    }

    private static int VarintSize(int n) => n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}
