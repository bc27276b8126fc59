using System.Net;
using System.Net.Sockets;
using WebhookConsole.Dispatching.Sending;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>
/// The resolver of every console the tests start: nothing leaves this machine, not even a DNS query. Loopback
/// answers as itself (and <c>localhost</c> as 127.0.0.1); a link-local literal is passed on so the SSRF guard can
/// refuse the metadata address as it would in production; every other name or address is "not found" without
/// asking anyone.
/// </summary>
public sealed class LoopbackOnlyResolver : IHostResolver
{
    private static readonly IPNetwork LinkLocal = IPNetwork.Parse("169.254.0.0/16");

    public ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        var bare = host.Trim('[', ']');
        if (string.Equals(bare, "localhost", StringComparison.OrdinalIgnoreCase)) return ValueTask.FromResult(new[] { IPAddress.Loopback });
        if (IPAddress.TryParse(bare, out var address) && (IPAddress.IsLoopback(address) || LinkLocal.Contains(address)))
        {
            return ValueTask.FromResult(new[] { address });
        }
        throw new SocketException((int)SocketError.HostNotFound);
    }
}
