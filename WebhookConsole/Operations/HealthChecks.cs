using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Dispatching.Ledger;
using WebhookConsole.Dispatching.Policy;

namespace WebhookConsole.Operations;

/// <summary>The <c>Health</c> section.</summary>
public sealed class HealthOptions
{
    /// <summary>Ready only while the oldest due delivery has waited less than this.</summary>
    public int MaxDispatchLagSeconds { get; set; } = 120;
}

/// <summary>
/// The database answers and has every migration this build knows. A failure says which, never the exception's text
/// (a driver's message can name hosts or users); the log has the exception.
/// </summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<AppDbContext> dbFactory, ILogger<DatabaseHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (!await db.Database.CanConnectAsync(ct)) return HealthCheckResult.Unhealthy("The database does not exist or does not answer.");
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            var data = new Dictionary<string, object> { ["provider"] = db.Database.IsSqlite() ? "Sqlite" : "Postgres", ["pendingMigrations"] = pending.Count };
            return pending.Count == 0
                ? HealthCheckResult.Healthy("The database answers and its schema is current.", data)
                : HealthCheckResult.Unhealthy($"{pending.Count} migration(s) of this build are not applied; the console applies them at start-up.", data: data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Readiness: the database check failed.");
            return HealthCheckResult.Unhealthy("The database could not be reached; see the console's log.");
        }
    }
}

/// <summary>
/// Both lanes run: this instance's Hangfire server (the durable lane) has sent a heartbeat lately, and the fast lane
/// has read the database for due jobs within a few poll intervals. An instance with <c>Dispatch:Enabled</c> false
/// does not send, so only its Hangfire server counts.
/// </summary>
internal sealed class LanesHealthCheck(JobStorage storage, DeliveryLane lane, IOptions<DispatchOptions> dispatch, TimeProvider time, ILogger<LanesHealthCheck> logger) : IHealthCheck
{
    /// <summary>Hangfire beats every 30 s; four missed beats mean the server is gone.</summary>
    internal static readonly TimeSpan MaxHeartbeatAge = TimeSpan.FromMinutes(2);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        try
        {
            var ours = storage.GetMonitoringApi().Servers()
                .Where(s => s.Name.StartsWith(DatabaseSettings.ProcessName + ":", StringComparison.Ordinal) || s.Name == DatabaseSettings.ProcessName)
                .Select(s => s.Heartbeat).Where(h => h is not null).Max();
            if (ours is { } beat) data["hangfireHeartbeatAgeSeconds"] = Math.Round(Math.Max(0, (now - beat).TotalSeconds), 1);
            if (ours is null) problems.Add("this instance's Hangfire server has not registered");
            else if (now - ours > MaxHeartbeatAge) problems.Add("this instance's Hangfire server has stopped beating");
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Readiness: Hangfire's storage could not be read.");
            problems.Add("Hangfire's storage could not be read");
        }
        if (dispatch.Value.Enabled)
        {
            var polled = lane.LastPolledAt;
            var maxAge = TimeSpan.FromMilliseconds(Math.Max(50, dispatch.Value.PollMilliseconds) * 5) + TimeSpan.FromSeconds(10);
            if (polled is { } p) data["laneLastPollAgeSeconds"] = Math.Round(Math.Max(0, (now - p).TotalSeconds), 1);
            if (polled is null) problems.Add("the delivery lane has not read the database yet");
            else if (now - polled > maxAge) problems.Add("the delivery lane has stopped reading the database");
        }
        var result = problems.Count == 0
            ? HealthCheckResult.Healthy("The delivery lane and the Hangfire server run.", data)
            : HealthCheckResult.Unhealthy(Capitalized(string.Join("; ", problems)) + ".", data: data);
        return Task.FromResult(result);
    }

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}

/// <summary>
/// Deliveries leave on time: the oldest due delivery of an enabled webhook has waited less than
/// <c>Health:MaxDispatchLagSeconds</c>. Skipped on an instance that does not send.
/// </summary>
internal sealed class DispatchLagHealthCheck(IDbContextFactory<AppDbContext> dbFactory, IOptions<HealthOptions> options, IOptions<DispatchOptions> dispatch,
    TimeProvider time, ILogger<DispatchLagHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (!dispatch.Value.Enabled) return HealthCheckResult.Healthy("This instance does not send (Dispatch:Enabled is false).");
        var limit = TimeSpan.FromSeconds(Math.Max(1, options.Value.MaxDispatchLagSeconds));
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = time.GetUtcNow().UtcDateTime;
            var backlog = await Backlog.ReadAsync(db, now, ct);
            var age = backlog.OldestDueAge(now);
            var data = new Dictionary<string, object>
            {
                ["pending"] = backlog.Pending,
                ["oldestDueAgeSeconds"] = Math.Round(age.TotalSeconds, 1),
                ["maxDispatchLagSeconds"] = limit.TotalSeconds,
            };
            return age < limit
                ? HealthCheckResult.Healthy("Due deliveries leave on time.", data)
                : HealthCheckResult.Unhealthy($"The oldest due delivery has waited {age.TotalSeconds:0} s (the limit is {limit.TotalSeconds:0} s).", data: data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Readiness: the dispatch lag could not be read.");
            return HealthCheckResult.Unhealthy("The dispatch lag could not be read; see the console's log.");
        }
    }
}
