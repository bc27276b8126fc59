using System.Text;
using Microsoft.Extensions.Options;

namespace WebhookConsole.Features.Inspector;

/// <summary>
/// <c>ANY /inspect/{bin}</c>: accepts whatever arrives, records it, and answers as the bin is configured.
/// Point a webhook at it to watch a whole delivery on one machine.
/// </summary>
public static class InspectorEndpoints
{
    public static IEndpointRouteBuilder MapInspector(this IEndpointRouteBuilder app)
    {
        app.Map("/inspect/{bin}/{**rest}", HandleAsync).AllowAnonymous().DisableAntiforgery();
        return app;
    }

    public static IHostApplicationBuilder AddInspector(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<InspectorOptions>(builder.Configuration.GetSection("Inspector"));
        builder.Services.AddSingleton<InspectorStore>();
        return builder;
    }

    private static async Task<IResult> HandleAsync(string bin, HttpContext http, InspectorStore store, CancellationToken ct)
    {
        if (!store.Options.Enabled) return Results.NotFound();
        if (!InspectorStore.IsValidName(bin))
        {
            return Results.Problem(statusCode: 400, title: "Invalid bin name", detail: "A bin name has letters, digits, '-' and '_' (64 at most).");
        }
        var target = store.GetOrCreate(bin);
        var (body, length) = await Api.CappedBody.ReadAsync(http.Request.Body, store.Options.MaxBodyBytes, ct);
        var request = http.Request;
        store.Record(target, request.Method, $"{request.Path}{request.QueryString}",
            request.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString())), body, length,
            http.Connection.RemoteIpAddress?.ToString());

        var response = target.Response;
        if (response.DelayMilliseconds > 0) await Task.Delay(response.DelayMilliseconds, ct);
        return Results.Text(response.Body, response.ContentType, Encoding.UTF8, response.StatusCode);
    }

}
