namespace WebhookConsole.Features.Inspector;

/// <summary>
/// <c>ANY /inspect/{bin}</c>: records whatever arrives at a bin created in the console, and answers as the bin is
/// configured. Point a webhook at it to watch a whole delivery on one machine.
/// </summary>
/// <remarks>
/// The route is anonymous (receivers do not sign in) and on the console's own origin, so what it serves must never
/// run there: answers are JSON, plain text or empty, and every answer is sandboxed and not sniffable. An earlier
/// version served whatever content type a bin was given, and a bin answering text/html ran script as the console.
/// </remarks>
public static class InspectorEndpoints
{
    public static IEndpointRouteBuilder MapInspectorEndpoints(this IEndpointRouteBuilder app)
    {
        app.Map("/inspect/{bin}/{**rest}", HandleAsync).AllowAnonymous().DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> HandleAsync(string bin, HttpContext http, InspectorStore store, CancellationToken ct)
    {
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (!store.Options.Enabled || store.Find(bin) is not { } target)
        {
            return Results.Problem(statusCode: 404, title: "No such bin",
                detail: "Bins are created on the console's Inspector page by a signed-in user; this one does not exist.");
        }
        var (body, length) = await Http.CappedBody.ReadBytesAsync(http.Request.Body, store.Options.MaxBodyBytes, ct);
        var request = http.Request;
        store.Record(target, request.Method, $"{request.Path}{request.QueryString}",
            request.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString())), body, length,
            http.Connection.RemoteIpAddress?.ToString());

        var response = target.Response;
        if (response.DelayMilliseconds > 0) await Task.Delay(response.DelayMilliseconds, ct);
        return response.Content == BinContent.Empty || response.Body.Length == 0
            ? Results.StatusCode(response.StatusCode)
            : Results.Text(response.Body, response.ContentType, System.Text.Encoding.UTF8, response.StatusCode);
    }
}
