using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WebhookConsole.Tests.TestSupport;

public sealed record ReceivedRequest(string Path, string Query, Dictionary<string, string> Headers, string Body, DateTime At);

/// <summary>A real Kestrel receiver on 127.0.0.1, whose answer each test sets per path.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, int, Task>> _behaviours = new();
    private readonly ConcurrentDictionary<string, int> _counts = new();

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();
    public string BaseUrl { get; }

    private Receiver(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        Receiver? self = null;
        app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            var path = ctx.Request.Path.Value ?? "/";
            self!.Requests.Enqueue(new ReceivedRequest(path, ctx.Request.QueryString.Value ?? "",
                ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body, DateTime.UtcNow));
            var n = self._counts.AddOrUpdate(path, 1, (_, c) => c + 1);
            if (self._behaviours.TryGetValue(path, out var behaviour)) await behaviour(ctx, n);
            else ctx.Response.StatusCode = 200;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new Receiver(app, address.TrimEnd('/'));
        return self;
    }

    /// <summary>Sets how a path answers; the int is the 1-based count of requests to that path.</summary>
    public string On(string path, Func<HttpContext, int, Task> behaviour)
    {
        _behaviours[path] = behaviour;
        return BaseUrl + path;
    }

    public string Status(string path, int status, string body = "") => On(path, async (ctx, _) =>
    {
        ctx.Response.StatusCode = status;
        if (body.Length > 0) await ctx.Response.WriteAsync(body);
    });

    public IReadOnlyList<ReceivedRequest> To(string path) => Requests.Where(r => r.Path == path).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
