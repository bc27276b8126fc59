using System.Collections.Concurrent;

namespace WebhookConsole.Dispatching;

/// <summary>
/// New jobs this process will send, kept as written until their Hangfire batch runs, so the first attempt skips
/// reading the rows back. Bounded: past the cap, new jobs take the ordinary path (leased when their batch runs).
/// </summary>
public sealed class FreshJobs
{
    public const int Capacity = 4_096;
    private readonly ConcurrentDictionary<Guid, LeasedJob> _jobs = new();

    public int Free => Math.Max(0, Capacity - _jobs.Count);

    public void Add(LeasedJob job) => _jobs[job.Job.Id] = job;

    public bool TryTake(Guid id, out LeasedJob job) => _jobs.TryRemove(id, out job!);
}
