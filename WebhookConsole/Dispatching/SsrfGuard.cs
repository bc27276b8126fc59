using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace WebhookConsole.Dispatching;

/// <summary>The destination was refused before a connection was made.</summary>
public sealed class BlockedDestinationException(string message) : Exception(message);

/// <summary>
/// Checks every address a host resolves to, at connect time, and connects only to an address it checked:
/// a DNS answer cannot change between the check and the connection (no rebinding).
/// </summary>
public sealed class SsrfGuard
{
    private static readonly IPAddress[] Metadata = [IPAddress.Parse("169.254.169.254"), IPAddress.Parse("fd00:ec2::254")];

    private static readonly (IPNetwork Network, string What)[] Refused =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "\"this\" network"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation"),
        (IPNetwork.Parse("192.88.99.0/24"), "reserved"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("64:ff9b::/96"), "NAT64"),
        (IPNetwork.Parse("100::/64"), "discard"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation"),
        (IPNetwork.Parse("fc00::/7"), "private (unique local)"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private readonly IPNetwork[] _allowed;

    public SsrfGuard(IOptions<DispatchOptions> options, IHostEnvironment environment)
    {
        var allowed = options.Value.AllowedPrivateNetworks.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => IPNetwork.Parse(s.Trim())).ToList();
        // A developer's console posts to receivers on the same machine (the inspector, a local tool).
        if (environment.IsDevelopment())
        {
            allowed.Add(IPNetwork.Parse("127.0.0.0/8"));
            allowed.Add(IPNetwork.Parse("::1/128"));
        }
        _allowed = [.. allowed];
    }

    /// <summary>Why an address is refused, or null when it may be used.</summary>
    public string? Check(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (Metadata.Any(m => m.Equals(address))) return $"{address} is a cloud metadata address";
        if (_allowed.Any(n => n.Contains(address))) return null;
        foreach (var (network, what) in Refused)
        {
            if (network.Contains(address)) return $"{address} is {what}";
        }
        return null;
    }

    /// <summary>The SocketsHttpHandler connect callback: resolve, check every address, connect to a checked one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        // Refuse if ANY address is refused: a name that also resolves inside the network is not a public receiver.
        foreach (var address in addresses)
        {
            if (Check(address) is { } reason)
            {
                throw new BlockedDestinationException($"Refused by the SSRF guard: {host} resolves to {reason}. Allow it with Dispatch:AllowedPrivateNetworks if it is meant to be reached.");
            }
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
