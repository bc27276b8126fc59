using System.Net;

namespace WebhookConsole.Dispatching.Sending;

/// <summary>Turns a delivery URL's host into the addresses the SSRF guard judges and connects to.</summary>
public interface IHostResolver
{
    ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

/// <summary>The system resolver; an address literal (<c>127.0.0.1</c>, <c>[::1]</c>) is its own answer.</summary>
public sealed class DnsHostResolver : IHostResolver
{
    public async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
}
