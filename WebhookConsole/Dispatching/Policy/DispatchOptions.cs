namespace WebhookConsole.Dispatching.Policy;

/// <summary>Section <c>Dispatch</c> (API.md settings).</summary>
public sealed class DispatchOptions
{
    public static readonly int[] DefaultRetryDelaysSeconds = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

    /// <summary>Off: no deliveries are sent from this instance (jobs stay Pending for an instance that sends).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>CIDRs the SSRF guard lets through, e.g. 127.0.0.0/8 for a receiver on this machine.</summary>
    public string[] AllowedPrivateNetworks { get; set; } = [];
    /// <summary>Timeout of webhooks created without one.</summary>
    public int TimeoutSeconds { get; set; } = 15;
    /// <summary>One attempt per entry: the first waits RetryDelaysSeconds[0] after the event, each retry its own entry after the failure before it.</summary>
    public int[] RetryDelaysSeconds { get; set; } = [];
    public int DisableAfterConsecutiveFailures { get; set; } = 100;
    /// <summary>
    /// Deliveries in flight at once on the fast lane. They wait on the network, not the CPU, so many more than
    /// cores; the bound keeps a storm of due retries from opening unbounded connections. It matches the sender's
    /// 256 connections per receiver: more would queue inside the HTTP client, where the webhook's timeout runs
    /// while no byte has been sent (a slow receiver then times out deliveries that never left).
    /// </summary>
    public int MaxConcurrentSends { get; set; } = 256;
    /// <summary>Workers of the durable lane (Hangfire on SQLite): the periodic jobs and bulk operations, not deliveries.</summary>
    public int WorkerCount { get; set; } = 4;
    public int MaxResponseBodyBytes { get; set; } = 64 * 1024;
    /// <summary>A receiver's Retry-After is honoured up to this.</summary>
    public int MaxRetryAfterSeconds { get; set; } = 3600;
    /// <summary>Random spread added to each retry delay, as a fraction of it, so retries of a burst do not arrive together.</summary>
    public double RetryJitter { get; set; } = 0.1;
    /// <summary>
    /// How often the lane reads the database for jobs coming due (retries written by another path, a restart,
    /// leases that lapsed), and how far ahead it looks. Retries this process schedules itself are timed in memory.
    /// </summary>
    public int PollMilliseconds { get; set; } = 1000;
    public int LookaheadSeconds { get; set; } = 5;
    /// <summary>Due jobs leased in one transaction.</summary>
    public int BatchSize { get; set; } = 256;
    /// <summary>
    /// Group commit of attempt records: a send's outcome waits at most this long for others to share its
    /// transaction. It bounds what a crash can make the console send twice: sends in flight plus those ended in
    /// the last interval.
    /// </summary>
    public int CommitIntervalMilliseconds { get; set; } = 10;

    public int[] EffectiveRetryDelays => RetryDelaysSeconds is { Length: > 0 } d ? d : DefaultRetryDelaysSeconds;
}
