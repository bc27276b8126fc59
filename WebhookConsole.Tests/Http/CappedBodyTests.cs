using System.Text;
using WebhookConsole.Http;

namespace WebhookConsole.Tests.Http;

/// <summary>Response bodies are kept up to the cap and counted in full, whatever the chunks they arrive in.</summary>
public class CappedBodyTests
{
    /// <summary>Hands out at most a few bytes per read, as a slow network does.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], ct);
    }

    [Theory]
    [InlineData(0, 100, 1)]
    [InlineData(10, 100, 3)]
    [InlineData(5_000, 64 * 1024, 7)]
    [InlineData(5_000, 64 * 1024, 100_000)]
    [InlineData(70_000, 64 * 1024, 4_096)]
    [InlineData(300_000, 64 * 1024, 16_384)]
    [InlineData(100, 0, 100)]
    public async Task Keeps_the_first_cap_bytes_and_counts_them_all(int size, int cap, int chunk)
    {
        var text = string.Concat(Enumerable.Range(0, size).Select(i => (char)('a' + i % 26)));
        var (kept, length) = await CappedBody.ReadAsync(new Trickle(Encoding.UTF8.GetBytes(text), chunk), cap, CancellationToken.None);
        Assert.Equal(size, length);
        Assert.Equal(text[..Math.Min(size, cap)], kept);
    }
}
