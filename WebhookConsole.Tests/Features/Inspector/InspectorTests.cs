using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Features.Inspector;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Inspector;

/// <summary>The console with the inspector as a developer's machine has it (Development: on by default), and a small memory cap.</summary>
public sealed class InspectorFactory : ConsoleFactory
{
    protected override string EnvironmentName => "Development";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Inspector:MaxTotalBytes", (256 * 1024).ToString());
    }
}

public class InspectorTests(InspectorFactory factory) : IClassFixture<InspectorFactory>
{
    private InspectorStore Store => factory.Services.GetRequiredService<InspectorStore>();

    private static void AssertSandboxed(HttpResponseMessage response)
    {
        Assert.Equal("sandbox; default-src 'none'", string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task An_unknown_bin_answers_404_and_creates_nothing()
    {
        var client = factory.CreateClient();
        var name = "nobody-" + Guid.NewGuid().ToString("N")[..8];
        var response = await client.PostAsync($"/inspect/{name}", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertSandboxed(response);
        Assert.Null(Store.Find(name));
        Assert.DoesNotContain(Store.Bins, b => b.Name == name);
    }

    [Fact]
    public async Task A_bin_answers_only_json_text_or_nothing_and_always_sandboxed()
    {
        var name = "bin-" + Guid.NewGuid().ToString("N")[..8];
        Store.Create(name, "admin@test.local");
        var client = factory.CreateClient();

        Assert.Null(Store.Configure(name, new BinResponse(200, "<html><script>fetch('/api-keys')</script></html>", BinContent.Text)));
        var text = await client.GetAsync($"/inspect/{name}");
        Assert.Equal("text/plain", text.Content.Headers.ContentType?.MediaType);
        AssertSandboxed(text);

        Assert.NotNull(Store.Configure(name, new BinResponse(200, "<html></html>", BinContent.Json))); // not JSON: refused
        Assert.Null(Store.Configure(name, new BinResponse(503, "{\"busy\":true}", BinContent.Json)));
        var json = await client.PostAsync($"/inspect/{name}/deep/path?x=1", new StringContent("{\"a\":1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        AssertSandboxed(json);

        Assert.Null(Store.Configure(name, new BinResponse(204, "", BinContent.Empty)));
        var empty = await client.PostAsync($"/inspect/{name}", new StringContent("x"));
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        AssertSandboxed(empty);

        var recorded = Store.Find(name)!.Requests;
        Assert.Equal(3, recorded.Count);
        Assert.Equal("{\"a\":1}", recorded[1].BodyText);
        Assert.Equal("/inspect/" + name + "/deep/path?x=1", recorded[1].Url);
    }

    [Fact]
    public async Task The_bins_together_stay_under_the_memory_cap()
    {
        var first = "cap-a-" + Guid.NewGuid().ToString("N")[..6];
        var second = "cap-b-" + Guid.NewGuid().ToString("N")[..6];
        Store.Create(first, "admin");
        Store.Create(second, "admin");
        var client = factory.CreateClient();
        var body = new string('x', 60 * 1024);
        for (var i = 0; i < 12; i++)
        {
            var response = await client.PostAsync($"/inspect/{(i % 2 == 0 ? first : second)}", new StringContent(body + i));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(Store.TotalBytes <= 256 * 1024, $"{Store.TotalBytes} bytes held after {i + 1} posts");
        }
        // The oldest went first; the newest of each bin is still there.
        Assert.EndsWith("10", Store.Find(first)!.Requests[0].BodyText);
        Assert.EndsWith("11", Store.Find(second)!.Requests[0].BodyText);
        Assert.True(Store.Find(first)!.Requests.Count + Store.Find(second)!.Requests.Count < 12);
    }

    [Fact]
    public async Task Outside_development_the_inspector_is_off_unless_configured()
    {
        await using var production = new ConsoleFactory();
        production.Services.GetRequiredService<InspectorStore>().Create("demo", "admin");
        var response = await production.CreateClient().PostAsync("/inspect/demo", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(production.Services.GetRequiredService<InspectorStore>().Options.Enabled);
        Assert.True(Store.Options.Enabled);
    }
}
