using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Filtering;
using WebhookConsole.Payloads;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Events;

/// <summary>What a webhook would do with a simulated event: its outcome, and when it fires, the URL and body it would get.</summary>
public sealed record DryRunOutcome(Guid WebhookId, string WebhookName, OutcomeKind Kind, string? Message, string? Url, string? Payload);

/// <summary>
/// The simulator's two modes. A dry run (the default, for Admins and Support) matches, filters and renders URL and
/// payload, and stores and sends nothing. A real send goes through ingestion like a platform's event; only an Admin
/// may, it is audited, and the event is marked <c>source: simulator</c>, so history tells it from the platform's.
/// </summary>
public sealed class SimulatorService(WebhookIndex index, EventMatcher matcher, EventProcessor processor, Microsoft.EntityFrameworkCore.IDbContextFactory<AppDbContext> dbFactory,
    AuditLog audit, Microsoft.Extensions.Options.IOptions<FilteringOptions> filtering)
{
    public async Task<IReadOnlyList<DryRunOutcome>> DryRunAsync(Actor actor, ValidEvent e, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageJobs, "simulate events");
        var candidates = await index.ForEventAsync(e.Type, e.Action, ct);
        return matcher.Decide(candidates, e, filtering.Value.NewRequestBudget()).Select(d => new DryRunOutcome(d.Webhook.Id, d.Webhook.Name, d.Outcome, d.Message, d.Url,
            d.Outcome == OutcomeKind.Fired ? PayloadBuilder.Build(new PayloadInput(Guid.Empty, d.Webhook, e.Type, e.Action, e.Kapp, e.Form, e.OccurredAt, e.Context)) : null)).ToList();
    }

    public async Task<EventReply> SendAsync(Actor actor, ValidEvent e, CancellationToken ct = default)
    {
        actor.Require(actor.IsAdmin && !actor.IsApiKey, "send simulated events for real");
        var reply = await processor.ProcessAsync(e with { Source = EventSource.Simulator }, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        audit.Record(db, actor, "Event", reply.EventId.ToString(), $"{e.Type} {e.Action}", "sent a simulated event for real",
            null, new Dictionary<string, string?> { ["kapp"] = e.Kapp, ["form"] = e.Form, ["jobs"] = reply.Jobs.Count.ToString() });
        await db.SaveChangesAsync(ct);
        return reply;
    }
}
