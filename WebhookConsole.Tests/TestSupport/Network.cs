using System.Net;
using System.Net.Sockets;

namespace WebhookConsole.Tests.TestSupport;

public static class Network
{
    /// <summary>A loopback port nothing listens on (a moment ago).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A delivery queue that sends nothing, for page and query tests.</summary>
public sealed class HeldDeliveryQueue : WebhookConsole.Dispatching.Lanes.IDeliveryQueue
{
    public List<Guid> Enqueued { get; } = [];
    public void Enqueue(IReadOnlyCollection<Guid> jobIds) => Enqueued.AddRange(jobIds);
    public void Schedule(Guid jobId, DateTime dueAt) => Enqueued.Add(jobId);
    /// <summary>Held: nothing is sent, so a test delivery reports that it could not be sent.</summary>
    public async Task<WebhookConsole.Data.Entities.JobAttempt?> AttemptNowAsync(Guid jobId, Func<CancellationToken, Task>? create, CancellationToken ct, TimeSpan? timeoutCap = null)
    {
        if (create is not null) await create(ct);
        return null;
    }
}
