using System.Buffers;

namespace WebhookConsole.Http;

/// <summary>Growing a body buffer rented from the shared pool.</summary>
internal static class PooledBytes
{
    /// <summary>A buffer twice the size (at most <paramref name="max"/>) holding the first <paramref name="length"/> bytes; the old one goes back to the pool.</summary>
    public static byte[] Grow(byte[] buffer, int length, int max)
    {
        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, max));
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }
}
