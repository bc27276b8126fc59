namespace WebhookConsole.Filtering;

/// <summary>Sandbox limits for filters and templates (section <c>Filtering</c>).</summary>
public sealed class FilteringOptions
{
    public int TimeoutMilliseconds { get; set; } = 250;
    public int MaxStatements { get; set; } = 100_000;
    public long MemoryLimitBytes { get; set; } = 8 * 1024 * 1024;
    public int MaxRecursionDepth { get; set; } = 64;
    public int MaxCachedScripts { get; set; } = 10_000;
    /// <summary>Filter and template time one request (a batch) may spend in all; past it the rest fail closed.</summary>
    public int RequestBudgetMilliseconds { get; set; } = 2_000;

    public FilterBudget NewRequestBudget() => new(TimeSpan.FromMilliseconds(RequestBudgetMilliseconds));
}
