using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using WebhookConsole.Common;

namespace WebhookConsole.Features.Inspector;

public sealed record InspectedRequest(long Number, DateTime At, string Method, string Url, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, long BodyLength, string? RemoteAddress)
{
    /// <summary>What the request takes in memory, roughly: the body and the header texts.</summary>
    public long Size { get; } = Body.Length + Url.Length * 2 + Headers.Sum(h => (h.Key.Length + h.Value.Length) * 2L) + 128;

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>What a bin answers with: JSON, plain text, or nothing. Never markup: the answer is served on the console's origin.</summary>
public enum BinContent { Json, Text, Empty }

/// <summary>How a bin answers: lets a failing or slow receiver be staged.</summary>
public sealed record BinResponse(int StatusCode = 200, string Body = "{\"status\":\"received\"}", BinContent Content = BinContent.Json, int DelayMilliseconds = 0)
{
    public string ContentType => Content == BinContent.Json ? "application/json" : "text/plain";

    /// <summary>Why this answer cannot be used, or null.</summary>
    public string? Problem()
    {
        if (StatusCode is < 100 or > 599) return "The status is between 100 and 599.";
        if (DelayMilliseconds is < 0 or > 120_000) return "The delay is between 0 and 120,000 ms.";
        if (Body.Length > 16 * 1024) return "Keep the answer's body to 16 KB.";
        if (Content != BinContent.Json || Body.Length == 0) return null;
        try
        {
            using var _ = JsonDocument.Parse(Body);
            return null;
        }
        catch (JsonException ex)
        {
            return $"The body is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}); choose plain text, or fix it.";
        }
    }
}

public sealed class InspectorOptions
{
    /// <summary>On in Development only, unless set: the bins are reachable without signing in.</summary>
    public bool Enabled { get; set; }
    public int MaxBins { get; set; } = 50;
    public int MaxRequestsPerBin { get; set; } = 100;
    public int MaxBodyBytes { get; set; } = 64 * 1024;
    /// <summary>Everything the bins hold together; past it the oldest requests of all bins go first.</summary>
    public long MaxTotalBytes { get; set; } = 32 * 1024 * 1024;
}

/// <summary>
/// Request bins in memory, bounded in every direction (bins, requests per bin, body size, total bytes; the oldest go
/// first) so a flood of posts cannot fill memory. Bins exist only when a signed-in user created one in the console:
/// a request to any other name creates nothing.
/// </summary>
public sealed partial class InspectorStore(Microsoft.Extensions.Options.IOptions<InspectorOptions> options, TimeProvider time)
{
    public sealed class Bin(string name, DateTime createdAt, string createdBy)
    {
        private readonly Lock _lock = new();
        private readonly LinkedList<InspectedRequest> _requests = new();
        private long _counter;

        public string Name { get; } = name;
        public DateTime CreatedAt { get; } = createdAt;
        public string CreatedBy { get; } = createdBy;
        public DateTime LastUsedAt { get; internal set; } = createdAt;
        public BinResponse Response { get; internal set; } = new();
        public long Received => Interlocked.Read(ref _counter);

        /// <summary>Adds a request; returns the bytes freed by dropping this bin's oldest past its cap.</summary>
        internal long Add(Func<long, InspectedRequest> make, int max)
        {
            lock (_lock)
            {
                _requests.AddFirst(make(++_counter));
                long freed = 0;
                while (_requests.Count > max)
                {
                    freed += _requests.Last!.Value.Size;
                    _requests.RemoveLast();
                }
                return freed;
            }
        }

        internal DateTime? OldestAt
        {
            get { lock (_lock) return _requests.Last?.Value.At; }
        }

        internal long RemoveOldest()
        {
            lock (_lock)
            {
                if (_requests.Last is not { } last) return 0;
                _requests.RemoveLast();
                return last.Value.Size;
            }
        }

        public IReadOnlyList<InspectedRequest> Requests
        {
            get { lock (_lock) return _requests.ToList(); }
        }

        internal long Clear()
        {
            lock (_lock)
            {
                var size = _requests.Sum(r => r.Size);
                _requests.Clear();
                return size;
            }
        }
    }

    private readonly ConcurrentDictionary<string, Bin> _bins = new(StringComparer.Ordinal);
    private readonly Lock _evictLock = new();
    private long _totalBytes;

    /// <summary>Raised with the bin's name after a request arrives or a bin changes.</summary>
    public event Action<string>? Changed;

    public InspectorOptions Options => options.Value;

    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    public static bool IsValidName(string name) => Slug.IsValid(name, 64);

    public IReadOnlyList<Bin> Bins => _bins.Values.OrderByDescending(b => b.LastUsedAt).ToList();

    public Bin? Find(string name) => _bins.GetValueOrDefault(name);

    /// <summary>A bin, made in the console by a signed-in user (an existing one is returned as it is).</summary>
    public Bin Create(string name, string createdBy)
    {
        if (!IsValidName(name)) throw new ArgumentException("A bin name has letters, digits, '-' and '_' (64 at most).", nameof(name));
        var now = time.GetUtcNow().UtcDateTime;
        var bin = _bins.GetOrAdd(name, n => new Bin(n, now, createdBy));
        while (_bins.Count > options.Value.MaxBins)
        {
            var oldest = _bins.Values.Where(b => b != bin).MinBy(b => b.LastUsedAt);
            if (oldest is null) break;
            Delete(oldest.Name);
        }
        Changed?.Invoke(name);
        return bin;
    }

    public InspectedRequest Record(Bin bin, string method, string url, IEnumerable<KeyValuePair<string, string>> headers, byte[] body, long bodyLength, string? remote)
    {
        var now = time.GetUtcNow().UtcDateTime;
        bin.LastUsedAt = now;
        var request = new InspectedRequest(0, now, method, url, headers.ToList(), body, bodyLength, remote);
        var freed = bin.Add(n => request = request with { Number = n }, options.Value.MaxRequestsPerBin);
        Interlocked.Add(ref _totalBytes, request.Size - freed);
        EnforceTotal();
        Changed?.Invoke(bin.Name);
        return request;
    }

    /// <summary>Drops the oldest requests of all bins until everything fits in <see cref="InspectorOptions.MaxTotalBytes"/>.</summary>
    private void EnforceTotal()
    {
        if (Interlocked.Read(ref _totalBytes) <= options.Value.MaxTotalBytes) return;
        lock (_evictLock)
        {
            while (Interlocked.Read(ref _totalBytes) > options.Value.MaxTotalBytes)
            {
                var oldest = _bins.Values.Where(b => b.OldestAt is not null).MinBy(b => b.OldestAt);
                if (oldest is null) break;
                Interlocked.Add(ref _totalBytes, -oldest.RemoveOldest());
            }
        }
    }

    public string? Configure(string name, BinResponse response)
    {
        if (response.Problem() is { } problem) return problem;
        if (Find(name) is not { } bin) return $"There is no bin '{name}'.";
        bin.Response = response;
        Changed?.Invoke(name);
        return null;
    }

    public void Clear(string name)
    {
        if (Find(name) is { } bin) Interlocked.Add(ref _totalBytes, -bin.Clear());
        Changed?.Invoke(name);
    }

    public void Delete(string name)
    {
        if (_bins.TryRemove(name, out var bin)) Interlocked.Add(ref _totalBytes, -bin.Clear());
        Changed?.Invoke(name);
    }
}
