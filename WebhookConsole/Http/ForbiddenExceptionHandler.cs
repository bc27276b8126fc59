using Microsoft.AspNetCore.Diagnostics;
using WebhookConsole.Security;

namespace WebhookConsole.Http;

/// <summary>A service refusing the caller's role is a 403 problem, not a 500.</summary>
internal sealed class ForbiddenExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is not ForbiddenException forbidden) return false;
        await Results.Problem(statusCode: 403, title: "Forbidden", detail: forbidden.Message).ExecuteAsync(context);
        return true;
    }
}
