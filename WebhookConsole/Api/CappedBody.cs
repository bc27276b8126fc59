using System.Text;

namespace WebhookConsole.Api;

public static class CappedBody
{
    /// <summary>Reads a body to its end, keeping the first <paramref name="cap"/> bytes as text and counting the rest.</summary>
    public static async Task<(string Text, long Length)> ReadAsync(Stream body, int cap, CancellationToken ct)
    {
        var kept = new MemoryStream();
        var buffer = new byte[16 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
            var room = cap - (int)kept.Length;
            if (room > 0) kept.Write(buffer, 0, Math.Min(room, read));
        }
        return (Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), total);
    }
}
