namespace WebhookConsole.Data.Entities;

public enum JobStatus { Pending, Succeeded, Received, Failed, Abandoned }

/// <summary>One delivery of one event to one webhook, with its id stable across every attempt.</summary>
public class WebhookJob
{
    public Guid Id { get; set; }
    public Guid WebhookId { get; set; }
    public Guid? EventId { get; set; }
    /// <summary>Webhook name at the time the job was created, so history reads right after a rename or delete.</summary>
    public string WebhookName { get; set; } = "";
    public string EventType { get; set; } = "";
    public string EventAction { get; set; } = "";
    public string Url { get; set; } = "";
    public List<HeaderEntry> RequestHeaders { get; set; } = [];
    /// <summary>
    /// Stored compressed on SQLite (<see cref="Sqlite.PayloadText"/>): a query that looks inside it in SQL reads it
    /// through <c>PayloadText.Contains(j.RequestBody, text)</c> or <c>PayloadText.Text(j.RequestBody)</c>, as do the other payload texts (original body, an edited
    /// attempt's body, an event's context).
    /// </summary>
    public string RequestBody { get; set; } = "";
    /// <summary>The first request, kept once an edited retry changed the URL or body.</summary>
    public string? OriginalUrl { get; set; }
    public string? OriginalRequestBody { get; set; }
    public JobStatus Status { get; set; }
    public int AttemptCount { get; set; }
    public DateTime? NextAttemptAt { get; set; }
    /// <summary>A worker holds the row until this time; another worker does not send it meanwhile.</summary>
    public DateTime? LeaseUntil { get; set; }
    public int? LastStatusCode { get; set; }
    public AttemptErrorKind? LastErrorKind { get; set; }
    public string? Summary { get; set; }
    public bool IsTest { get; set; }

    /// <summary>
    /// The trace context of the request that created the job, while this process holds the job as written (the fresh
    /// lane); not stored. The attempt's span is its child.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Schema.NotMapped]
    public System.Diagnostics.ActivityContext Origin { get; set; }
    /// <summary>What the next attempt is recorded as (a manual or edited retry, by whom); null = the schedule.</summary>
    public AttemptTrigger? PendingTrigger { get; set; }
    public string? PendingTriggeredBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public List<JobAttempt> Attempts { get; set; } = [];

    /// <summary>The body an attempt of this job sent: its own when an edited retry changed it, else the job's first.</summary>
    public string BodyOf(JobAttempt attempt) => attempt.RequestBody ?? OriginalRequestBody ?? RequestBody;

    /// <summary>What an attempt stores of the body it sent: nothing when that is the job's first body (most attempts).</summary>
    public string? StoredBody(string sent) => sent == (OriginalRequestBody ?? RequestBody) ? null : sent;

    /// <summary>The URL an attempt of this job posted to: its own when an edited retry changed it, else the job's first.</summary>
    public string UrlOf(JobAttempt attempt) => attempt.Url ?? OriginalUrl ?? Url;

    /// <summary>What an attempt stores of the URL it posted to: nothing when that is the job's first URL (most attempts).</summary>
    public string? StoredUrl(string sent) => sent == (OriginalUrl ?? Url) ? null : sent;
}

/// <summary><see cref="Sync"/>: made at once while the platform waited for the reply (<c>Prefer: wait</c>).</summary>
public enum AttemptTrigger { Schedule, Manual, Edited, Test, Sync }

/// <summary><see cref="Interrupted"/>: the lease of an attempt lapsed without a record (the console stopped); the receiver may have it.</summary>
public enum AttemptErrorKind { Http, Timeout, Connection, Dns, Tls, Blocked, Interrupted }

/// <summary>One HTTP try: the request as sent and the response as received.</summary>
public class JobAttempt
{
    public long Id { get; set; }
    public Guid JobId { get; set; }
    public int Number { get; set; }
    public AttemptTrigger Trigger { get; set; }
    /// <summary>Who asked for a manual or edited retry.</summary>
    public string? TriggeredBy { get; set; }
    /// <summary>The console instance that sent it (<c>host:pid</c>) when several share the database; null on the embedded one.</summary>
    public string? Instance { get; set; }
    public DateTime StartedAt { get; set; }
    public int DurationMs { get; set; }
    /// <summary>Only when it differs from the job's first URL (an edited retry); read it with <see cref="WebhookJob.UrlOf"/>.</summary>
    public string? Url { get; set; }
    public List<HeaderEntry> RequestHeaders { get; set; } = [];
    /// <summary>Only when it differs from the job's first body (an edited retry); read it with <see cref="WebhookJob.BodyOf"/>.</summary>
    public string? RequestBody { get; set; }
    public int? StatusCode { get; set; }
    public List<HeaderEntry> ResponseHeaders { get; set; } = [];
    /// <summary>Truncated to the stored cap; <see cref="ResponseBodyLength"/> counts the whole body.</summary>
    public string? ResponseBody { get; set; }
    public long ResponseBodyLength { get; set; }
    public AttemptErrorKind? ErrorKind { get; set; }
    public string? Error { get; set; }
}
