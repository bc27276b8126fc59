using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebhookConsole.Api;

/// <summary>Reading request bodies ourselves, so bad JSON gets a problem detail that says what to fix.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        MaxDepth = 32,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (request.ContentLength == 0) return (null, Problems.BadRequest("The request body is empty; send a JSON object."));
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, ct);
            return value is null ? (null, Problems.BadRequest("The request body is null; send a JSON object.")) : (value, null);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" at '{ex.Path.TrimStart('$', '.')}'";
            var what = ex.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"A field has the wrong type{where}; check the API reference for its type."
                : $"The body is not valid JSON{where} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).";
            return (null, Problems.BadRequest(what));
        }
    }
}

public static class Problems
{
    public static IResult BadRequest(string detail) =>
        Results.Problem(statusCode: 400, title: "Invalid request", detail: detail);

    public static IResult NotFound(string detail) =>
        Results.Problem(statusCode: 404, title: "Not found", detail: detail);

    public static IResult Conflict(string detail) =>
        Results.Problem(statusCode: 409, title: "Conflict", detail: detail);

    public static IResult Validation(IDictionary<string, string[]> errors, string detail) =>
        Results.ValidationProblem(errors, detail: detail, title: "Invalid webhook");
}
