namespace WebhookConsole.Data.Entities;

/// <summary>Where an event came from; <c>Simulator</c> is an admin's real send from the console's simulator.</summary>
public enum EventSource { Ui, Api, Batch, System, Simulator }

/// <summary>What the platform reported. The context JSON holds the bindings filters and payloads read.</summary>
public class Event
{
    public Guid Id { get; set; }
    /// <summary>Client-chosen id for idempotency (a repeat within 24 h is not processed twice).</summary>
    public string? ClientId { get; set; }
    public string Type { get; set; } = "";
    public string Action { get; set; } = "";
    public WebhookScope Scope { get; set; }
    public string? Kapp { get; set; }
    public string? Form { get; set; }
    public EventSource Source { get; set; }
    public DateTime OccurredAt { get; set; }
    public DateTime ReceivedAt { get; set; }
    public string ContextJson { get; set; } = "{}";
    /// <summary>
    /// Outcomes other than fired and filter-false. A fired webhook is not stored as an outcome: its job (which
    /// carries the event's id, the webhook and its name) is the record, and retention removes an event only after
    /// its jobs.
    /// </summary>
    public List<EventOutcome> Outcomes { get; set; } = [];
    /// <summary>How many webhooks fired (the jobs with this event's id), kept for the events list and its filter.</summary>
    public int FiredCount { get; set; }
    /// <summary>
    /// Webhooks that were considered and whose filter returned false. The commonest outcome by far (an event
    /// usually concerns a few of many webhooks), so it is kept on the event instead of as a row per webhook:
    /// measured, those rows were half of everything a burst of events wrote.
    /// </summary>
    public List<FilteredWebhook> FilteredOut { get; set; } = [];
    public int FilteredOutCount { get; set; }
}

public sealed record FilteredWebhook(Guid Id, string Name);

public enum OutcomeKind { Fired, FilterFalse, FilterError, WebhookDisabled, SourceNotIncluded, UrlTemplateError }

/// <summary>Per event and considered webhook that neither fired nor was filtered out: why not.</summary>
public class EventOutcome
{
    public long Id { get; set; }
    public Guid EventId { get; set; }
    public Guid WebhookId { get; set; }
    public string WebhookName { get; set; } = "";
    public OutcomeKind Kind { get; set; }
    public string? Message { get; set; }
}
