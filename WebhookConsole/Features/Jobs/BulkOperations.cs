using Hangfire;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Jobs;

public enum BulkKind { Retry, Abandon }

/// <summary>What a bulk operation was asked to do, and by whom: the Hangfire job's argument.</summary>
public sealed record BulkSpec(BulkKind Kind, JobQuery Filter, string Description, string ActorId, string ActorName);

/// <summary>One "retry all failures" / "abandon all failures" run, as the durable lane holds it.</summary>
public sealed record BulkOperation(string Id, BulkKind Kind, string Description, string StartedBy, DateTime StartedAt, int Processed, bool Done, bool Cancelled, string? Error);

/// <summary>
/// Bulk job actions run as Hangfire jobs on the durable lane (<see cref="Dispatching.Lanes.DurableLane"/>): off the
/// request, so a page closing does not stop them; in the Hangfire file, so a restart neither loses one nor its
/// progress; with their history in the dashboard.
/// </summary>
public sealed class BulkOperations(IBackgroundJobClient jobs, JobStorage storage)
{
    private const string SetKey = "webhookconsole:bulk-operations";
    /// <summary>Operations listed at most (the page shows five).</summary>
    private const int Kept = 20;
    internal const string ProcessedParameter = "processed";

    /// <summary>Raised in this process as an operation starts, progresses or ends.</summary>
    public event Action? Changed;

    internal void OnChanged() => Changed?.Invoke();

    public BulkOperation Start(Actor actor, BulkKind kind, JobQuery filter, string description)
    {
        actor.Require(actor.CanManageJobs, kind == BulkKind.Retry ? "retry jobs" : "abandon jobs");
        var spec = new BulkSpec(kind, filter with { PageToken = null, Text = null }, description, actor.Id, actor.Name);
        var id = jobs.Enqueue<BulkJob>(j => j.RunAsync(spec, null, CancellationToken.None));
        using (var connection = storage.GetConnection())
        {
            using var transaction = connection.CreateWriteTransaction();
            transaction.AddToSet(SetKey, id, DateTime.UtcNow.Ticks);
            // The list stays short: operations Hangfire has expired, and all but the latest kept, leave it.
            var known = connection.GetAllItemsFromSet(SetKey).Select(i => (Id: i, Op: Read(connection, i))).ToList();
            foreach (var (old, _) in known.Where(k => k.Op is null && k.Id != id)) transaction.RemoveFromSet(SetKey, old);
            foreach (var (old, _) in known.Where(k => k.Op is not null).OrderByDescending(k => k.Op!.StartedAt).Skip(Kept)) transaction.RemoveFromSet(SetKey, old);
            transaction.Commit();
        }
        Changed?.Invoke();
        using var read = storage.GetConnection();
        return Read(read, id) ?? new BulkOperation(id, kind, description, actor.Name, DateTime.UtcNow, 0, false, false, null);
    }

    /// <summary>Stops a running operation: Hangfire cancels its token within seconds; what it did so far stays done.</summary>
    public void Cancel(Actor actor, string id)
    {
        actor.Require(actor.CanManageJobs, "stop bulk operations");
        jobs.Delete(id);
        Changed?.Invoke();
    }

    /// <summary>The five latest operations, newest first, from the Hangfire file.</summary>
    public IReadOnlyList<BulkOperation> Recent
    {
        get
        {
            using var connection = storage.GetConnection();
            return connection.GetAllItemsFromSet(SetKey).Select(id => Read(connection, id)).OfType<BulkOperation>()
                .OrderByDescending(o => o.StartedAt).Take(5).ToList();
        }
    }

    private static BulkOperation? Read(IStorageConnection connection, string id)
    {
        var data = connection.GetJobData(id);
        if (data?.Job?.Args is not [BulkSpec spec, ..]) return null;
        var processed = int.TryParse(connection.GetJobParameter(id, ProcessedParameter), out var n) ? n : 0;
        var state = data.State;
        var done = state == SucceededState.StateName || state == FailedState.StateName || state == DeletedState.StateName;
        var error = state == FailedState.StateName ? connection.GetStateData(id)?.Reason ?? "failed" : null;
        return new BulkOperation(id, spec.Kind, spec.Description, spec.ActorName, data.CreatedAt, processed, done, state == DeletedState.StateName, error);
    }
}

/// <summary>The Hangfire job of a bulk operation.</summary>
public sealed class BulkJob(JobsService jobs, BulkOperations operations, IActorDirectory people)
{
    // A bulk operation that fails is for a person to look at and start again, not for Hangfire to repeat.
    [AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(BulkSpec spec, PerformContext? context, CancellationToken ct)
    {
        // The person as they are now: one whose account was disabled, or who lost the role, since they started it
        // (perhaps before a restart) does not have it carried on in their name.
        var actor = await people.FindUserAsync(spec.ActorId)
            ?? throw new ForbiddenException($"{spec.ActorName} can no longer act here, so the bulk operation was not carried on.");
        // Reported inline, on the job's own flow: Progress<T> would post each report to the thread pool, where it
        // could run while Hangfire's worker already records the job's end on the same storage connection (which is
        // not safe for concurrent use: the job then stayed Processing), or after it.
        var progress = new InlineProgress(n =>
        {
            context?.SetJobParameter(BulkOperations.ProcessedParameter, n);
            operations.OnChanged();
        });
        try
        {
            var total = spec.Kind == BulkKind.Retry
                ? await jobs.RetryManyAsync(actor, spec.Filter, progress, ct)
                : await jobs.AbandonManyAsync(actor, spec.Filter, progress, ct);
            context?.SetJobParameter(BulkOperations.ProcessedParameter, total);
            return total;
        }
        finally
        {
            operations.OnChanged();
        }
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's flow, before the caller goes on.</summary>
internal sealed class InlineProgress(Action<int> report) : IProgress<int>
{
    public void Report(int value) => report(value);
}
