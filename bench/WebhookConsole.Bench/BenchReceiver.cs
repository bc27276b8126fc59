using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WebhookConsole.Bench;

/// <summary>
/// The minimal Kestrel receiver on 127.0.0.1 every part posts to. It answers 200 with an empty body,
/// counts arrivals, verifies Standard Webhooks signatures and stamps latency arrivals.
/// </summary>
public sealed class BenchReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private byte[] _secret = [];
    private long _ceiling;
    private long _deliveries;
    private long _badSignatures;
    private long _firstDelivery;
    private long _lastDelivery;

    public ConcurrentDictionary<string, byte> DeliveryIds { get; } = new();
    public ConcurrentDictionary<int, long> LatencyArrivals { get; } = new();

    private BenchReceiver(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";
    public long CeilingCount => Interlocked.Read(ref _ceiling);
    public long Deliveries => Interlocked.Read(ref _deliveries);
    public long BadSignatures => Interlocked.Read(ref _badSignatures);
    public long FirstDeliveryTicks => Interlocked.Read(ref _firstDelivery);
    public long LastDeliveryTicks => Interlocked.Read(ref _lastDelivery);

    public static async Task<BenchReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new BenchReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.BaseUrl = app.Urls.First().Replace("localhost", "127.0.0.1");
        return receiver;
    }

    public void UseSecret(string whsec) => _secret = Convert.FromBase64String(whsec["whsec_".Length..]);

    public void ResetDeliveries()
    {
        Interlocked.Exchange(ref _deliveries, 0);
        Interlocked.Exchange(ref _firstDelivery, 0);
        Interlocked.Exchange(ref _lastDelivery, 0);
        DeliveryIds.Clear();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer);
        if (path == "/ceiling")
        {
            Interlocked.Increment(ref _ceiling);
        }
        else if (path.StartsWith("/e2e/", StringComparison.Ordinal))
        {
            var now = Stopwatch.GetTimestamp();
            var id = ctx.Request.Headers["webhook-id"].ToString();
            if (!Verify(ctx.Request.Headers, id, buffer)) Interlocked.Increment(ref _badSignatures);
            // Count each job once: a redelivery (same webhook-id) is not new throughput.
            if (DeliveryIds.TryAdd(id, 0))
            {
                Interlocked.CompareExchange(ref _firstDelivery, now, 0);
                Interlocked.Increment(ref _deliveries);
                Interlocked.Exchange(ref _lastDelivery, now);
            }
        }
        else if (path == "/latency")
        {
            var now = Stopwatch.GetTimestamp();
            if (int.TryParse(ctx.Request.Query["seq"], out var seq)) LatencyArrivals.TryAdd(seq, now);
        }
        ctx.Response.StatusCode = 200;
    }

    private bool Verify(IHeaderDictionary headers, string id, MemoryStream body)
    {
        var timestamp = headers["webhook-timestamp"].ToString();
        var signature = headers["webhook-signature"].ToString();
        if (id.Length == 0 || timestamp.Length == 0 || !signature.StartsWith("v1,", StringComparison.Ordinal)) return false;
        // The receiver is meant to be minimal: hash incrementally rather than copy the body around.
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret);
        hmac.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
        hmac.AppendData(body.GetBuffer(), 0, (int)body.Length);
        var expected = "v1," + Convert.ToBase64String(hmac.GetHashAndReset());
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
