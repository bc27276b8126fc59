using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Http;

namespace WebhookConsole.Features.Callbacks;

/// <summary>
/// <c>PUT /api/v1/notifications/{key}</c>: a receiver that acknowledged a delivery asynchronously reports the
/// final status (doForms-style). The platform's contract calls these notifications; in the console's code they are
/// status callbacks, and "notifications" are the admins' bell (<c>Features/Notifications</c>). Authenticated with <c>Bearer {webhookId}:{callbackSecret}</c>; idempotent.
/// </summary>
public static class CallbackApi
{
    public static IEndpointRouteBuilder MapCallbackApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/v1/notifications/{key}", async (string key, HttpRequest request, IDbContextFactory<AppDbContext> dbFactory, Security.SecretProtector secrets, Auditing.AuditLog audit, TimeProvider time, CancellationToken ct) =>
        {
            var unauthorized = Results.Problem(statusCode: 401, title: "Authentication required",
                detail: "Send 'Authorization: Bearer {webhookId}:{callbackSecret}' with the callback credentials shown in the webhook's editor.");
            string? header = request.Headers.Authorization;
            if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return unauthorized;
            var credentials = header["Bearer ".Length..].Trim().Split(':', 2);
            if (credentials.Length != 2 || !Guid.TryParse(credentials[0], out var webhookId)) return unauthorized;

            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var webhook = await db.Webhooks.AsNoTracking().Where(w => w.Id == webhookId).Select(w => new { w.CallbackSecret, w.AsyncAck }).FirstOrDefaultAsync(ct);
            if (webhook?.CallbackSecret is null || !webhook.AsyncAck
                || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secrets.Reveal(webhook.CallbackSecret)!), Encoding.UTF8.GetBytes(credentials[1])))
            {
                return unauthorized;
            }

            var (node, error) = await RequestBody.ReadJsonAsync(request, 64 * 1024, ct);
            if (error is not null) return error;
            var status = (node as JsonObject)?["status"] is JsonValue v && v.TryGetValue<string>(out var s) ? s.ToLowerInvariant() : null;
            var message = (node as JsonObject)?["message"] is JsonValue m && m.TryGetValue<string>(out var text) ? text : null;
            if (status is not ("completed" or "failed")) return Problems.BadRequest("Send { \"status\": \"completed\" | \"failed\", \"message\": \"…\" }.");

            if (!Guid.TryParse(key, out var jobId)) return Problems.NotFound($"There is no delivery with key '{key}'.");
            var job = await db.WebhookJobs.FirstOrDefaultAsync(j => j.Id == jobId && j.WebhookId == webhookId, ct);
            if (job is null) return Problems.NotFound($"There is no delivery with key '{key}' for this webhook.");

            var target = status == "completed" ? JobStatus.Succeeded : JobStatus.Failed;
            // Only a delivery the receiver acknowledged and still owes an outcome for: a callback cannot end a job
            // that is waiting for its next attempt, nor rewrite one that has ended.
            if (!JobLifecycle.Allows(job.Status, JobChange.Callback))
            {
                return Problems.Conflict(job.Status == JobStatus.Pending
                    ? "This delivery has not been acknowledged by the receiver yet (it is pending); report its status after a 2xx with an empty body."
                    : $"This delivery is already {job.Status.ToString().ToLowerInvariant()}; its status can no longer change.");
            }
            var now = time.GetUtcNow().UtcDateTime;
            audit.Record(db, new Security.Actor($"callback:{webhookId}", $"receiver callback ({job.WebhookName})", true, new HashSet<string>(), new HashSet<string>()),
                "Job", job.Id.ToString(), job.WebhookName, $"status reported by the receiver: {status}",
                new Dictionary<string, string?> { ["status"] = job.Status.ToString() },
                new Dictionary<string, string?> { ["status"] = target.ToString(), ["message"] = message });
            JobLifecycle.Callback(job, status == "completed", message, now);
            if (!await JobLifecycle.SaveUnlessTakenUpAsync(db, ct))
            {
                return Problems.Conflict("This delivery changed while the report was being recorded (a person retried or abandoned it); nothing was changed.");
            }
            return Results.Ok(CallbackReply.From(job));
        }).AllowAnonymous().DisableAntiforgery()
            .WithTags("Callbacks").WithSummary("A receiver reports a delivery's final status")
            .WithDescription("For webhooks with asynchronous acknowledgement: authenticated with 'Authorization: Bearer {webhookId}:{callbackSecret}'; idempotent.")
            .WithJsonBody<CallbackInput>().Produces<CallbackReply>().WithProblems(400, 401, 404, 409, 413, 415);
        return app;
    }

}

/// <summary>What a receiver reports: <c>completed</c> or <c>failed</c>, with an optional message.</summary>
public sealed record CallbackInput(string Status, string? Message);

/// <summary>The delivery as the report left it.</summary>
public sealed record CallbackReply(Guid Key, string Status, string? Summary, DateTime? CompletedAt)
{
    public static CallbackReply From(WebhookJob job) => new(job.Id, job.Status.ToString().ToLowerInvariant(), job.Summary, job.CompletedAt);
}
