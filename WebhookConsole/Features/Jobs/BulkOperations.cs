using WebhookConsole.Security;

namespace WebhookConsole.Features.Jobs;

public enum BulkKind { Retry, Abandon }

/// <summary>One "retry all failures" / "abandon all failures" run: in the background, with progress, cancellable.</summary>
public sealed class BulkOperation
{
    internal readonly CancellationTokenSource Cancellation = new();

    public Guid Id { get; } = Guid.NewGuid();
    public required BulkKind Kind { get; init; }
    public required string Description { get; init; }
    public required string StartedBy { get; init; }
    public DateTime StartedAt { get; } = DateTime.UtcNow;
    public int Processed { get; internal set; }
    public bool Done { get; internal set; }
    public bool Cancelled { get; internal set; }
    public string? Error { get; internal set; }

    public void Cancel() => Cancellation.Cancel();
}

/// <summary>Runs bulk job actions off the request, so a page (or its circuit) closing does not stop them.</summary>
public sealed class BulkOperations(JobsService jobs, ILogger<BulkOperations> logger)
{
    private readonly List<BulkOperation> _operations = [];
    private readonly Lock _lock = new();

    public event Action? Changed;

    public IReadOnlyList<BulkOperation> Recent
    {
        get { lock (_lock) return _operations.OrderByDescending(o => o.StartedAt).Take(5).ToList(); }
    }

    public BulkOperation Start(Actor actor, BulkKind kind, JobQuery filter, string description)
    {
        actor.Require(actor.CanManageJobs, kind == BulkKind.Retry ? "retry jobs" : "abandon jobs");
        var op = new BulkOperation { Kind = kind, Description = description, StartedBy = actor.Name };
        lock (_lock)
        {
            _operations.Add(op);
            if (_operations.Count > 20) _operations.RemoveAt(0);
        }
        var progress = new Progress<int>(n =>
        {
            op.Processed = n;
            Changed?.Invoke();
        });
        _ = Task.Run(async () =>
        {
            try
            {
                op.Processed = kind == BulkKind.Retry
                    ? await jobs.RetryManyAsync(actor, filter, progress, op.Cancellation.Token)
                    : await jobs.AbandonManyAsync(actor, filter, progress, op.Cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                op.Cancelled = true;
            }
            catch (Exception ex)
            {
                op.Error = ex.Message;
                logger.LogError(ex, "Bulk {Kind} failed.", kind);
            }
            finally
            {
                op.Cancelled |= op.Cancellation.IsCancellationRequested;
                op.Done = true;
                Changed?.Invoke();
            }
        });
        Changed?.Invoke();
        return op;
    }
}
