using System.Buffers.Binary;
using WebhookConsole.Data;
using Microsoft.Win32.SafeHandles;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Dispatching.Ledger;

/// <summary>One outcome as the journal keeps it: enough to record the attempt and decide what follows.</summary>
public readonly record struct JournaledOutcome(Guid JobId, int Number, DateTime StartedAt, int DurationMs, int? StatusCode,
    AttemptErrorKind? ErrorKind, TimeSpan? RetryAfter);

/// <summary>
/// The outcome of every send, written the moment it is known (one 48-byte <c>pwrite</c>, no sync) to a file beside
/// the SQLite database, <c>&lt;name&gt;.outcomes</c>: the attempt's record follows in the next group commit
/// (<see cref="AttemptRecorder"/>), and a process killed in between would otherwise send again everything it had
/// heard back about but not committed (measured: about as many deliveries as arrive in one commit interval and
/// one commit, 100–250 of a burst of 5,000). At the next start, <see cref="DeliveryStore.RecordJournaledAsync"/>
/// records those attempts from here instead, so what is sent twice is only what was truly in flight.
/// <para>
/// The file only ever prevents a resend: an entry is written after the receiver answered, and losing it (a power
/// cut, the file deleted) falls back to sending again, as before. Two segments take turns: an entry's segment is
/// emptied once every attempt written to it has been committed (or has failed to be: the lease then decides),
/// so the file stays small under any load. SQLite only: on PostgreSQL another instance may take over a stopped
/// instance's leases before it comes back.
/// </para>
/// </summary>
public sealed class OutcomeJournal : IDisposable
{
    internal const int RecordSize = 48;
    private const uint Magic = 0x314A4357; // "WCJ1"
    /// <summary>A segment is not switched away from before this size: about 20,000 outcomes.</summary>
    private const long SegmentBytes = 1 << 20;

    private sealed class Segment(string path)
    {
        public readonly string Path = path;
        public SafeFileHandle? Handle;
        public long Length;
        /// <summary>Entries written and not yet committed (or given up on).</summary>
        public int Outstanding;
    }

    private readonly Lock _lock = new();
    private readonly Segment[] _segments;
    private int _active;

    private OutcomeJournal(string basePath) => _segments = [new(basePath + ".1"), new(basePath + ".2")];

    /// <summary>Told once when a write fails; the journal is off from then on.</summary>
    public Action<IOException>? Failed { get; set; }

    /// <summary>The journal beside a SQLite database file; null for an in-memory database (then nothing is journaled).</summary>
    public static OutcomeJournal? For(string? connectionString) =>
        DataExtensions.SqliteFile(connectionString) is { } file
            ? new OutcomeJournal(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, System.IO.Path.GetFileNameWithoutExtension(file) + ".outcomes"))
            : null;

    /// <summary>The segments' paths, for tests and for deleting the database's files.</summary>
    public IReadOnlyList<string> Paths => _segments.Select(s => s.Path).ToList();

    /// <summary>Every whole entry the segments hold (a torn or foreign tail is skipped).</summary>
    public List<JournaledOutcome> ReadAll()
    {
        var entries = new List<JournaledOutcome>();
        foreach (var segment in _segments)
        {
            if (!File.Exists(segment.Path)) continue;
            byte[] bytes;
            using (var file = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                bytes = new byte[file.Length];
                file.ReadExactly(bytes);
            }
            for (var offset = 0; offset + RecordSize <= bytes.Length; offset += RecordSize)
            {
                if (Decode(bytes.AsSpan(offset, RecordSize)) is { } entry) entries.Add(entry);
            }
        }
        return entries;
    }

    /// <summary>Empties both segments and opens them for writing (after the previous run's entries were read).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            foreach (var segment in _segments)
            {
                segment.Handle?.Dispose();
                segment.Handle = File.OpenHandle(segment.Path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
                segment.Length = 0;
                segment.Outstanding = 0;
            }
            _active = 0;
        }
    }

    /// <summary>Writes a send's outcome; returns the token to hand to <see cref="Settled"/> once its record is written or given up.</summary>
    public int Append(Guid jobId, int number, SendResult result)
    {
        Span<byte> record = stackalloc byte[RecordSize];
        Encode(record, new JournaledOutcome(jobId, number, result.StartedAt, result.DurationMs, result.StatusCode, result.ErrorKind, result.RetryAfter));
        lock (_lock)
        {
            var segment = _segments[_active];
            if (segment.Handle is null) return -1;
            var other = _segments[1 - _active];
            if (segment.Length >= SegmentBytes && other.Outstanding == 0 && other.Handle is not null)
            {
                // Every entry of the other segment is settled: it starts empty; the one left is emptied as soon as
                // its own entries are (now, if they are already).
                Truncate(other);
                if (segment.Outstanding == 0) Truncate(segment);
                _active = 1 - _active;
                segment = other;
            }
            try
            {
                RandomAccess.Write(segment.Handle!, record, segment.Length);
            }
            catch (IOException ex)
            {
                // A full disk must not cost the attempt its record: journaling stops, and a kill resends as before.
                Failed?.Invoke(ex);
                foreach (var s in _segments)
                {
                    s.Handle?.Dispose();
                    s.Handle = null;
                }
                return -1;
            }
            segment.Length += RecordSize;
            segment.Outstanding++;
            return _active;
        }
    }

    /// <summary>An entry's attempt is committed (or will be taken up again when its lease ends): a segment with none left is emptied.</summary>
    public void Settled(int token)
    {
        if (token < 0) return;
        lock (_lock)
        {
            var segment = _segments[token];
            segment.Outstanding--;
            if (segment.Outstanding == 0 && token != _active) Truncate(segment);
        }
    }

    private static void Truncate(Segment segment)
    {
        if (segment.Handle is null || segment.Length == 0) return;
        RandomAccess.SetLength(segment.Handle, 0);
        segment.Length = 0;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var segment in _segments)
            {
                segment.Handle?.Dispose();
                segment.Handle = null;
            }
        }
    }

    internal static void Encode(Span<byte> record, JournaledOutcome e)
    {
        record.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        e.JobId.TryWriteBytes(record[4..20], bigEndian: true, out _);
        BinaryPrimitives.WriteInt32LittleEndian(record[20..], e.Number);
        BinaryPrimitives.WriteInt64LittleEndian(record[24..], e.StartedAt.Ticks);
        BinaryPrimitives.WriteInt32LittleEndian(record[32..], e.DurationMs);
        BinaryPrimitives.WriteInt16LittleEndian(record[36..], (short)(e.StatusCode ?? -1));
        record[38] = e.ErrorKind is { } kind ? (byte)kind : byte.MaxValue;
        BinaryPrimitives.WriteInt32LittleEndian(record[40..], e.RetryAfter is { } after ? (int)Math.Min(int.MaxValue, after.TotalSeconds) : -1);
        BinaryPrimitives.WriteUInt32LittleEndian(record[44..], Checksum(record[..44]));
    }

    internal static JournaledOutcome? Decode(ReadOnlySpan<byte> record)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Magic || BinaryPrimitives.ReadUInt32LittleEndian(record[44..]) != Checksum(record[..44])) return null;
        var status = BinaryPrimitives.ReadInt16LittleEndian(record[36..]);
        var after = BinaryPrimitives.ReadInt32LittleEndian(record[40..]);
        return new JournaledOutcome(new Guid(record[4..20], bigEndian: true), BinaryPrimitives.ReadInt32LittleEndian(record[20..]),
            new DateTime(BinaryPrimitives.ReadInt64LittleEndian(record[24..]), DateTimeKind.Utc), BinaryPrimitives.ReadInt32LittleEndian(record[32..]),
            status < 0 ? null : status, record[38] == byte.MaxValue ? null : (AttemptErrorKind)record[38], after < 0 ? null : TimeSpan.FromSeconds(after));
    }

    /// <summary>FNV-1a: a torn or stray record does not pass for an outcome.</summary>
    private static uint Checksum(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes) hash = (hash ^ b) * 16777619u;
        return hash;
    }
}
