using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace WebhookConsole.Features.Inspector;

public sealed record InspectedRequest(long Number, DateTime At, string Method, string Url, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body, long BodyLength, string? RemoteAddress);

/// <summary>How a bin answers: lets a failing or slow receiver be staged.</summary>
public sealed record BinResponse(int StatusCode = 200, string Body = "{\"status\":\"received\"}", string ContentType = "application/json", int DelayMilliseconds = 0);

public sealed class InspectorOptions
{
    public bool Enabled { get; set; } = true;
    public int MaxBins { get; set; } = 50;
    public int MaxRequestsPerBin { get; set; } = 100;
    public int MaxBodyBytes { get; set; } = 64 * 1024;
}

/// <summary>
/// Request bins in memory, bounded in every direction (bins, requests per bin, body size; the oldest go
/// first) so a flood of posts cannot fill memory, let alone the disk.
/// </summary>
public sealed partial class InspectorStore(Microsoft.Extensions.Options.IOptions<InspectorOptions> options, TimeProvider time)
{
    public sealed class Bin(string name, DateTime createdAt)
    {
        private readonly Lock _lock = new();
        private readonly LinkedList<InspectedRequest> _requests = new();
        private long _counter;

        public string Name { get; } = name;
        public DateTime CreatedAt { get; } = createdAt;
        public DateTime LastUsedAt { get; internal set; } = createdAt;
        public BinResponse Response { get; internal set; } = new();
        public long Received => Interlocked.Read(ref _counter);

        internal InspectedRequest Add(Func<long, InspectedRequest> make, int max)
        {
            lock (_lock)
            {
                var request = make(++_counter);
                _requests.AddFirst(request);
                while (_requests.Count > max) _requests.RemoveLast();
                return request;
            }
        }

        public IReadOnlyList<InspectedRequest> Requests
        {
            get { lock (_lock) return _requests.ToList(); }
        }

        internal void Clear()
        {
            lock (_lock) _requests.Clear();
        }
    }

    private readonly ConcurrentDictionary<string, Bin> _bins = new(StringComparer.Ordinal);

    /// <summary>Raised with the bin's name after a request arrives or a bin changes.</summary>
    public event Action<string>? Changed;

    public InspectorOptions Options => options.Value;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex BinNameRegex();

    public static bool IsValidName(string name) => BinNameRegex().IsMatch(name);

    public IReadOnlyList<Bin> Bins => _bins.Values.OrderByDescending(b => b.LastUsedAt).ToList();

    public Bin? Find(string name) => _bins.GetValueOrDefault(name);

    public Bin GetOrCreate(string name)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var bin = _bins.GetOrAdd(name, n => new Bin(n, now));
        while (_bins.Count > options.Value.MaxBins)
        {
            var oldest = _bins.Values.Where(b => b != bin).MinBy(b => b.LastUsedAt);
            if (oldest is null) break;
            _bins.TryRemove(oldest.Name, out _);
        }
        return bin;
    }

    public InspectedRequest Record(Bin bin, string method, string url, IEnumerable<KeyValuePair<string, string>> headers, string body, long bodyLength, string? remote)
    {
        var now = time.GetUtcNow().UtcDateTime;
        bin.LastUsedAt = now;
        var request = bin.Add(n => new InspectedRequest(n, now, method, url, headers.ToList(), body, bodyLength, remote), options.Value.MaxRequestsPerBin);
        Changed?.Invoke(bin.Name);
        return request;
    }

    public void Configure(string name, BinResponse response)
    {
        GetOrCreate(name).Response = response with { DelayMilliseconds = Math.Clamp(response.DelayMilliseconds, 0, 120_000), StatusCode = Math.Clamp(response.StatusCode, 100, 599) };
        Changed?.Invoke(name);
    }

    public void Clear(string name)
    {
        Find(name)?.Clear();
        Changed?.Invoke(name);
    }

    public void Delete(string name)
    {
        _bins.TryRemove(name, out _);
        Changed?.Invoke(name);
    }
}
