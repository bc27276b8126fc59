using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace WebhookConsole.Http;

/// <summary>
/// The API's one JSON configuration: camelCase, enums as camelCase names, depth 32, relaxed escaping (answers are
/// application/json with nosniff, never HTML). Minimal APIs' results use it through <see cref="HttpExtensions.AddHttp"/>;
/// code that serializes by hand uses <see cref="Options"/>.
/// </summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Apply(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Apply(JsonSerializerOptions o)
    {
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        o.MaxDepth = 32;
        o.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return o;
    }
}

/// <summary>The API's problem details (RFC 9457), as typed results the handlers can name in their signatures.</summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: 400, title: "Invalid request", detail: detail);

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: 404, title: "Not found", detail: detail);

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: 409, title: "Conflict", detail: detail);

    public static ProblemHttpResult Status(int statusCode, string title, string detail) =>
        TypedResults.Problem(statusCode: statusCode, title: title, detail: detail);

    public static ValidationProblem Validation(IDictionary<string, string[]> errors, string detail, string title = "Invalid webhook") =>
        TypedResults.ValidationProblem(errors, detail: detail, title: title);
}
