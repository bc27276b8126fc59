using System.Collections.Concurrent;

namespace WebhookConsole.Dispatching;

/// <summary>Jobs handed to Hangfire and not finished yet, so the recovery sweep does not enqueue them twice.</summary>
public sealed class InFlightJobs
{
    private readonly ConcurrentDictionary<Guid, byte> _ids = new();

    public bool TryAdd(Guid id) => _ids.TryAdd(id, 0);
    public void Remove(Guid id) => _ids.TryRemove(id, out _);
    public bool Contains(Guid id) => _ids.ContainsKey(id);
    public int Count => _ids.Count;
}
