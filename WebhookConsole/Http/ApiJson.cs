using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebhookConsole.Http;

/// <summary>The API's JSON settings: camelCase, enums as lower-case names.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        MaxDepth = 32,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
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
