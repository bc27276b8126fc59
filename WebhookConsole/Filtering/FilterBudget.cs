using System.Diagnostics;

namespace WebhookConsole.Filtering;

/// <summary>
/// The filter time one request may spend (<c>Filtering:RequestBudgetMilliseconds</c>): each script has its own
/// limit, but a batch of a thousand events times twenty webhooks would otherwise hold a request for minutes.
/// Once spent, the remaining filters of the request are not run and fail closed, with the reason recorded.
/// </summary>
public sealed class FilterBudget(TimeSpan budget)
{
    private long _spent;

    public static FilterBudget Unlimited() => new(TimeSpan.MaxValue);

    public TimeSpan Budget => budget;

    public bool Exhausted => Stopwatch.GetElapsedTime(0, _spent) >= budget;

    public string ExhaustedMessage =>
        $"not evaluated: this request's filters used their whole time budget ({budget.TotalMilliseconds:0} ms, Filtering:RequestBudgetMilliseconds); " +
        "send fewer events per request or make the slow filters cheaper";

    /// <summary>Runs one script and adds its time to the request's.</summary>
    public T Measure<T>(Func<T> run)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return run();
        }
        finally
        {
            _spent += Stopwatch.GetTimestamp() - start;
        }
    }
}
