using Microsoft.AspNetCore.Mvc;

namespace WebhookConsole.Http;

/// <summary>
/// What the OpenAPI document says of a route that its handler's types cannot: the problem details it may answer
/// (a <c>ProblemHttpResult</c> carries no status until it runs) and a body it reads itself, to answer bad input with
/// a problem that says what to fix rather than the framework's binding error.
/// </summary>
public static class ApiDocs
{
    public const string Json = "application/json";
    public const string ProblemJson = "application/problem+json";

    /// <summary>The route (or every route of a group) may answer these statuses with problem details.</summary>
    public static TBuilder WithProblems<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses) builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ProblemJson]));
        return builder;
    }

    /// <summary>The JSON body the handler reads (through <see cref="RequestBody"/>), for the document only.</summary>
    public static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder builder, bool optional = false) where T : notnull =>
        builder.Accepts<T>(optional, Json);
}
