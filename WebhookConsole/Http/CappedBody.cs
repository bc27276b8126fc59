using System.Buffers;
using System.Text;

namespace WebhookConsole.Http;

public static class CappedBody
{
    /// <summary>Reads a body to its end, keeping the first <paramref name="cap"/> bytes as text and counting the rest.</summary>
    /// <remarks>
    /// Runs once per delivery attempt: the buffers are pooled, starting small and growing only as a body needs
    /// (a fresh 16 KB buffer and a MemoryStream per attempt were the largest single source of garbage under load).
    /// </remarks>
    public static Task<(string Text, long Length)> ReadAsync(Stream body, int cap, CancellationToken ct) =>
        ReadAsync(body, cap, static (bytes, length) => Encoding.UTF8.GetString(bytes, 0, length), ct);

    /// <summary>Reads a body to its end, keeping the first <paramref name="cap"/> bytes as they came and counting the rest.</summary>
    public static Task<(byte[] Bytes, long Length)> ReadBytesAsync(Stream body, int cap, CancellationToken ct) =>
        ReadAsync(body, cap, static (bytes, length) => bytes.AsSpan(0, length).ToArray(), ct);

    private static async Task<(T Kept, long Length)> ReadAsync<T>(Stream body, int cap, Func<byte[], int, T> keep, CancellationToken ct)
    {
        var pool = ArrayPool<byte>.Shared;
        var kept = pool.Rent(Math.Clamp(cap, 1, 4 * 1024));
        var length = 0;
        byte[]? scratch = null;
        long total = 0;
        try
        {
            while (true)
            {
                int read;
                if (length < cap)
                {
                    if (length == kept.Length) kept = PooledBytes.Grow(kept, length, cap);
                    read = await body.ReadAsync(kept.AsMemory(length, Math.Min(kept.Length, cap) - length), ct);
                    length += read;
                }
                else
                {
                    // Past the cap: only count what is left.
                    scratch ??= pool.Rent(16 * 1024);
                    read = await body.ReadAsync(scratch, ct);
                }
                if (read == 0) break;
                total += read;
            }
            return (keep(kept, length), total);
        }
        finally
        {
            pool.Return(kept);
            if (scratch is not null) pool.Return(scratch);
        }
    }
}
