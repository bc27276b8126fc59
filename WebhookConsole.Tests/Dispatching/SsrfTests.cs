using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Dispatching;

public class SsrfGuardTests
{
    private sealed class Env(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "test";
        public string ContentRootPath { get; set; } = "/";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = default!;
    }

    private static SsrfGuard Guard(string environment = "Production", params string[] allowed) =>
        new(Options.Create(new DispatchOptions { AllowedPrivateNetworks = allowed }), new Env(environment));

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.20.0.5", "private")]
    [InlineData("192.168.1.10", "private")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("169.254.10.10", "link-local")]
    [InlineData("169.254.169.254", "metadata")]
    [InlineData("0.0.0.0", "network")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("::1", "loopback")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fd12:3456::1", "unique local")]
    [InlineData("fd00:ec2::254", "metadata")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:169.254.169.254", "metadata")]
    [InlineData("ff02::1", "multicast")]
    public void Internal_addresses_are_refused(string address, string reason) =>
        Assert.Contains(reason, Guard().Check(IPAddress.Parse(address)));

    // The gaps of issue 12 (each passed the guard before): IPv6 forms that carry an internal IPv4 address, blocks
    // outside global unicast, and metadata endpoints of other clouds.
    [Theory]
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("::169.254.169.254", "metadata")]
    [InlineData("::ffff:0:7f00:1", "loopback")]
    [InlineData("::ffff:0:a00:1", "private")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("64:ff9b::a9fe:a9fe", "metadata")]
    [InlineData("64:ff9b:1::a00:1", "local-use NAT64")]
    [InlineData("2002:a9fe:a9fe::1", "metadata")]
    [InlineData("2002:7f00:1::1", "loopback")]
    [InlineData("2002:c0a8:101::1", "private")]
    [InlineData("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private")] // Teredo client 10.0.0.1 (stored inverted)
    [InlineData("2001:0:a00:1::1", "private")] // Teredo server 10.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:5601:5601", "metadata")] // Teredo client 169.254.169.254, inverted
    [InlineData("fec0::1", "site-local")]
    [InlineData("168.63.129.16", "metadata")]
    [InlineData("100.100.100.200", "metadata")]
    [InlineData("169.254.170.2", "metadata")]
    [InlineData("fd00:ec2::23", "metadata")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("2001:2::1", "benchmarking")]
    [InlineData("100::1", "discard")]
    [InlineData("::", "unspecified")]
    [InlineData("4000::1", "not global unicast")]
    public void Addresses_that_lead_inside_are_refused(string address, string reason) =>
        Assert.Contains(reason, Guard().Check(IPAddress.Parse(address)));

    [Fact]
    public void Metadata_stays_refused_through_every_wrapping_even_when_allowed()
    {
        var guard = Guard("Production", "0.0.0.0/0", "::/0");
        foreach (var address in new[] { "169.254.169.254", "::ffff:169.254.169.254", "::169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1",
                     "168.63.129.16", "2002:a83f:8110::1", "100.100.100.200", "fd00:ec2::254" })
        {
            Assert.Contains("metadata", guard.Check(IPAddress.Parse(address)));
        }
        Assert.Null(guard.Check(IPAddress.Parse("10.0.0.1")));
    }

    [Theory]
    [InlineData("64:ff9b::808:808")] // NAT64 of 8.8.8.8
    [InlineData("2002:808:808::1")] // 6to4 of 8.8.8.8
    [InlineData("2a00:1450:4001:82b::200e")]
    public void Wrapped_public_addresses_pass(string address) => Assert.Null(Guard().Check(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    public void Public_addresses_pass(string address) => Assert.Null(Guard().Check(IPAddress.Parse(address)));

    [Fact]
    public void The_allow_list_lets_named_ranges_through_but_never_metadata()
    {
        var guard = Guard("Production", "10.0.0.0/8", "169.254.0.0/16");
        Assert.Null(guard.Check(IPAddress.Parse("10.9.8.7")));
        Assert.Null(guard.Check(IPAddress.Parse("169.254.1.1")));
        Assert.Contains("metadata", guard.Check(IPAddress.Parse("169.254.169.254")));
        Assert.Contains("private", guard.Check(IPAddress.Parse("192.168.0.1")));
    }

    [Fact]
    public void Development_allows_loopback_only()
    {
        var guard = Guard("Development");
        Assert.Null(guard.Check(IPAddress.Parse("127.0.0.1")));
        Assert.Null(guard.Check(IPAddress.Parse("::1")));
        Assert.NotNull(guard.Check(IPAddress.Parse("10.0.0.1")));
    }
}

/// <summary>
/// A name is judged by every address it resolves to, through the guard's resolver: here a fixed table, so no
/// DNS query is made and no connection leaves the machine (a refused name never reaches connect).
/// </summary>
public class SsrfNameTests
{
    private sealed class TableResolver(Dictionary<string, string[]> table) : IHostResolver
    {
        public ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
            ValueTask.FromResult(table.TryGetValue(host, out var a) ? a.Select(IPAddress.Parse).ToArray() : []);
    }

    private sealed class Production : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";
        public string ApplicationName { get; set; } = "test";
        public string ContentRootPath { get; set; } = "/";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = default!;
    }

    private static async Task<Exception> SendAsync(string url, Dictionary<string, string[]> table)
    {
        var guard = new SsrfGuard(Options.Create(new DispatchOptions()), new Production(), new TableResolver(table));
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync, UseProxy = false });
        return await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(url));
    }

    [Theory]
    [InlineData("internal.test", new[] { "10.1.2.3" }, "internal.test resolves to 10.1.2.3 is private")]
    [InlineData("rebind.test", new[] { "93.184.215.14", "127.0.0.1" }, "rebind.test resolves to 127.0.0.1 is loopback")]
    [InlineData("meta.test", new[] { "169.254.169.254" }, "cloud metadata")]
    [InlineData("mapped.test", new[] { "::ffff:192.168.1.1" }, "private")]
    public async Task A_name_with_any_internal_address_is_refused_before_connecting(string host, string[] addresses, string expected)
    {
        var error = await SendAsync($"http://{host}:8080/hook", new() { [host] = addresses });
        var blocked = Assert.IsType<BlockedDestinationException>(error.InnerException);
        Assert.Contains(expected, blocked.Message);
    }

    [Fact]
    public async Task A_name_that_resolves_to_nothing_is_host_not_found()
    {
        var error = await SendAsync("http://nowhere.test/hook", []);
        Assert.Equal(System.Net.Sockets.SocketError.HostNotFound, Assert.IsType<System.Net.Sockets.SocketException>(error.InnerException).SocketErrorCode);
    }
}

/// <summary>The guard in the running engine: refusals are recorded as their own error kind.</summary>
public class SsrfDeliveryTests(StrictDeliveryFactory factory) : IClassFixture<StrictDeliveryFactory>
{
    [Theory]
    [InlineData("http://127.0.0.1:9/x", "127.0.0.1 is loopback")]
    [InlineData("http://localhost:9/x", "localhost resolves to")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "cloud metadata")]
    [InlineData("http://[::ffff:127.0.0.1]:9/x", "loopback")]
    public async Task Internal_destinations_are_refused_and_recorded_as_blocked(string url, string expected)
    {
        var webhook = await factory.CreateWebhookAsync(url);
        var jobId = await factory.FireAsync(webhook);
        var job = await factory.WaitForJobAsync(jobId, j => j.AttemptCount >= 1, "the first attempt");
        var attempt = job.Attempts.First();
        Assert.Equal(AttemptErrorKind.Blocked, attempt.ErrorKind);
        Assert.Contains(expected, attempt.Error);
        Assert.Contains("Refused by the SSRF guard", job.Summary);
        Assert.Null(attempt.StatusCode);
    }
}
