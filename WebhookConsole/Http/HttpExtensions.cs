using Microsoft.AspNetCore.Http.Json;

namespace WebhookConsole.Http;

public static class HttpExtensions
{
    /// <summary>Problem details for every API error, and the one JSON configuration (<see cref="ApiJson"/>).</summary>
    public static IHostApplicationBuilder AddHttp(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ForbiddenExceptionHandler>();
        builder.Services.Configure<JsonOptions>(o => ApiJson.Apply(o.SerializerOptions));
        return builder;
    }
}
