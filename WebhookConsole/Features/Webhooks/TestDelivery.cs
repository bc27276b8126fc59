using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Filtering;
using WebhookConsole.Http;
using WebhookConsole.Payloads;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Webhooks;

public sealed record TestResult(Guid? JobId, bool Succeeded, int? StatusCode, int DurationMs, string Summary, string? ResponseBody, string? ErrorKind, string? Error);

/// <summary>
/// "Test" (Jodoo's Test Connection): a sample event of the webhook's type, delivered now — even to a
/// disabled webhook — recorded as a job with a test attempt, and its outcome returned.
/// </summary>
public sealed class TestDelivery(IDbContextFactory<AppDbContext> dbFactory, IFilterEvaluator filters, IDeliveryQueue lane, TimeProvider time)
{
    public async Task<TestResult?> SendAsync(Actor actor, Guid webhookId, CancellationToken ct)
    {
        actor.Require(actor.CanManageWebhooks, "test webhooks");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var w = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == webhookId, ct);
        if (w is null) return null;

        var kapp = w.Scope == WebhookScope.Kapp ? w.Kapp : null;
        var context = JsonSerializer.SerializeToElement(SampleEvents.Context(w.Type, kapp, w.Form));
        var bindings = new ScriptBindings(w.Type, w.Event, context, kapp, w.Form, "system");
        var url = filters.RenderTemplate(w.Url, bindings);
        if (url.Error is { } error) return new TestResult(null, false, null, 0, $"The URL template fails on the sample event: {error}", null, "template", error.ToString());

        var now = time.GetUtcNow().UtcDateTime;
        var job = JobLifecycle.NewJob(new PayloadInput(Guid.Empty, w, w.Type, w.Event, kapp, w.Form, now, context), url.Value!, now, testBy: actor.Name);
        var id = job.Id;
        db.WebhookJobs.Add(job);
        var attempt = await lane.AttemptNowAsync(id, db.SaveChangesAsync, ct);
        if (attempt is null) return new TestResult(id, false, null, 0, "The test could not be sent.", null, null, null);
        var ok = attempt.ErrorKind is null && attempt.StatusCode is >= 200 and < 300;
        var after = await db.WebhookJobs.AsNoTracking().FirstAsync(j => j.Id == id, ct);
        return new TestResult(id, ok, attempt.StatusCode, attempt.DurationMs, after.Summary ?? "", attempt.ResponseBody,
            attempt.ErrorKind?.ToString().ToLowerInvariant(), attempt.Error);
    }
}
