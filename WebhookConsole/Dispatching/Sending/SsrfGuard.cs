using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using WebhookConsole.Dispatching.Policy;

namespace WebhookConsole.Dispatching.Sending;

/// <summary>The destination was refused before a connection was made.</summary>
public sealed class BlockedDestinationException(string message) : Exception(message);

/// <summary>
/// Checks every address a host resolves to, at connect time, and connects only to an address it checked:
/// a DNS answer cannot change between the check and the connection (no rebinding).
/// </summary>
/// <remarks>
/// Only global unicast passes: IPv4 outside the special-purpose ranges, IPv6 inside 2000::/3 outside its
/// special-purpose blocks. An IPv6 address that carries an IPv4 one (IPv4-mapped and -compatible, NAT64, 6to4,
/// Teredo) is judged by the IPv4 address it leads to as well. Cloud metadata endpoints are refused even when
/// an allow-list covers them: they hand out the host's credentials.
/// </remarks>
public sealed class SsrfGuard
{
    private static readonly (IPNetwork Network, string What)[] Metadata =
    [
        (IPNetwork.Parse("169.254.169.254/32"), "a cloud metadata address (AWS, GCP, Azure, OCI, DigitalOcean)"),
        (IPNetwork.Parse("169.254.170.2/32"), "a cloud metadata address (AWS ECS task credentials)"),
        (IPNetwork.Parse("169.254.169.253/32"), "a cloud metadata address (AWS DNS)"),
        (IPNetwork.Parse("169.254.169.123/32"), "a cloud metadata address (AWS time)"),
        (IPNetwork.Parse("168.63.129.16/32"), "a cloud metadata address (Azure WireServer)"),
        (IPNetwork.Parse("100.100.100.200/32"), "a cloud metadata address (Alibaba Cloud)"),
        (IPNetwork.Parse("fd00:ec2::254/128"), "a cloud metadata address (AWS IMDS over IPv6)"),
        (IPNetwork.Parse("fd00:ec2::23/128"), "a cloud metadata address (AWS ECS over IPv6)"),
    ];

    private static readonly (IPNetwork Network, string What)[] RefusedV4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "\"this\" network"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation"),
        (IPNetwork.Parse("192.31.196.0/24"), "reserved (AS112)"),
        (IPNetwork.Parse("192.52.193.0/24"), "reserved (AMT)"),
        (IPNetwork.Parse("192.88.99.0/24"), "reserved (6to4 relay anycast)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("192.175.48.0/24"), "reserved (AS112)"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
    ];

    private static readonly IPNetwork GlobalUnicastV6 = IPNetwork.Parse("2000::/3");

    private static readonly (IPNetwork Network, string What)[] RefusedV6 =
    [
        (IPNetwork.Parse("2001:db8::/32"), "documentation"),
        (IPNetwork.Parse("3fff::/20"), "documentation"),
        (IPNetwork.Parse("2001:2::/48"), "benchmarking"),
        (IPNetwork.Parse("2001:10::/28"), "reserved (ORCHID)"),
        (IPNetwork.Parse("2001:20::/28"), "reserved (ORCHIDv2)"),
        (IPNetwork.Parse("2001::/23"), "reserved (IETF protocol assignments)"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");
    private static readonly IPNetwork V4Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork V4Translated = IPNetwork.Parse("::ffff:0:0:0/96");

    private readonly IPNetwork[] _allowed;

    private readonly IHostResolver _resolver;

    public SsrfGuard(IOptions<DispatchOptions> options, IHostEnvironment environment, IHostResolver? resolver = null)
    {
        _resolver = resolver ?? new DnsHostResolver();
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
        foreach (var (network, what) in Metadata)
        {
            if (network.Contains(address)) return $"{address} is {what}";
        }
        foreach (var (inner, how) in Embedded(address))
        {
            if (Check(inner) is { } reason) return $"{address} leads to {inner} ({how}), and {reason}";
        }
        if (_allowed.Any(n => n.Contains(address))) return null;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            foreach (var (network, what) in RefusedV4)
            {
                if (network.Contains(address)) return $"{address} is {what}";
            }
            return null;
        }
        if (Nat64.Contains(address)) return null; // Its IPv4 address was judged above, and is public.
        if (!GlobalUnicastV6.Contains(address)) return $"{address} is {V6Kind(address)}, not global unicast";
        if (Teredo.Contains(address)) return null; // Both IPv4 addresses it carries were judged above.
        foreach (var (network, what) in RefusedV6)
        {
            if (network.Contains(address)) return $"{address} is {what}";
        }
        return null;
    }

    /// <summary>The IPv4 addresses an IPv6 address delivers to, through the transition mechanisms that embed them.</summary>
    private static IEnumerable<(IPAddress Inner, string How)> Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) yield break;
        var b = address.GetAddressBytes();
        if (Nat64.Contains(address)) yield return (new IPAddress(b.AsSpan(12, 4)), "NAT64");
        else if (SixToFour.Contains(address)) yield return (new IPAddress(b.AsSpan(2, 4)), "6to4");
        else if (Teredo.Contains(address))
        {
            yield return (new IPAddress(b.AsSpan(4, 4)), "Teredo server");
            var client = b.AsSpan(12, 4).ToArray();
            for (var i = 0; i < 4; i++) client[i] ^= 0xff; // RFC 4380: the client's address is stored inverted.
            yield return (new IPAddress(client), "Teredo client");
        }
        else if (V4Translated.Contains(address)) yield return (new IPAddress(b.AsSpan(12, 4)), "IPv4-translated");
        else if (V4Compatible.Contains(address) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback))
        {
            yield return (new IPAddress(b.AsSpan(12, 4)), "IPv4-compatible");
        }
    }

    private static string V6Kind(IPAddress address) => address switch
    {
        _ when address.Equals(IPAddress.IPv6Any) => "unspecified",
        _ when address.Equals(IPAddress.IPv6Loopback) => "loopback",
        _ when IPNetwork.Parse("fc00::/7").Contains(address) => "private (unique local)",
        _ when IPNetwork.Parse("fe80::/10").Contains(address) => "link-local",
        _ when IPNetwork.Parse("fec0::/10").Contains(address) => "site-local (deprecated)",
        _ when IPNetwork.Parse("ff00::/8").Contains(address) => "multicast",
        _ when IPNetwork.Parse("64:ff9b:1::/48").Contains(address) => "local-use NAT64",
        _ when IPNetwork.Parse("100::/64").Contains(address) => "discard-only",
        _ when V4Compatible.Contains(address) => "IPv4-compatible (deprecated)",
        _ => "reserved",
    };

    /// <summary>The SocketsHttpHandler connect callback: resolve, check every address, connect to a checked one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await _resolver.ResolveAsync(host, ct);
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
