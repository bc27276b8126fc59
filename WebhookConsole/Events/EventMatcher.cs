using WebhookConsole.Data.Entities;
using WebhookConsole.Filtering;

namespace WebhookConsole.Events;

public sealed record MatchDecision(Webhook Webhook, OutcomeKind Outcome, string? Message, string? Url);

/// <summary>Which webhooks an event concerns, and for each, whether it fires and why not.</summary>
public sealed class EventMatcher(IFilterEvaluator filters)
{
    public const string FilterFalseMessage = "filter returned false";

    /// <summary>
    /// A webhook is considered when its type and event match, a Kapp-scoped one only for its kapp, and one
    /// with a form slug only for that form. (Type and event are matched by the index already.)
    /// </summary>
    public static bool Considers(Webhook w, ValidEvent e) =>
        string.Equals(w.Type, e.Type, StringComparison.OrdinalIgnoreCase)
        && string.Equals(w.Event, e.Action, StringComparison.OrdinalIgnoreCase)
        && (w.Scope != WebhookScope.Kapp || string.Equals(w.Kapp, e.Kapp, StringComparison.OrdinalIgnoreCase))
        && (string.IsNullOrEmpty(w.Form) || string.Equals(w.Form, e.Form, StringComparison.OrdinalIgnoreCase));

    public List<MatchDecision> Decide(IEnumerable<Webhook> candidates, ValidEvent e, FilterBudget? budget = null)
    {
        budget ??= FilterBudget.Unlimited();
        var decisions = new List<MatchDecision>();
        ScriptBindings? bindings = null;
        foreach (var w in candidates.Where(w => Considers(w, e)).OrderBy(w => w.Name, StringComparer.OrdinalIgnoreCase))
        {
            if (!w.Enabled)
            {
                decisions.Add(new(w, OutcomeKind.WebhookDisabled, w.DisabledReason is null ? "webhook disabled" : $"webhook disabled: {w.DisabledReason}", null));
                continue;
            }
            // The portal's rule: API activity does not fire webhooks, unless one opts in.
            if (e.Source is EventSource.Api or EventSource.Batch && !w.IncludeApiEvents)
            {
                decisions.Add(new(w, OutcomeKind.SourceNotIncluded, $"source '{e.Source.ToString().ToLowerInvariant()}' not included (the webhook does not opt in to API events)", null));
                continue;
            }
            if (budget.Exhausted)
            {
                decisions.Add(new(w, OutcomeKind.FilterError, budget.ExhaustedMessage, null));
                continue;
            }
            var b = bindings ??= new ScriptBindings(e.Type, e.Action, e.Context, e.Kapp, e.Form, e.Source.ToString().ToLowerInvariant(), e.OccurredAt);
            var filter = budget.Measure(() => filters.EvaluateFilter(w.Filter, b));
            if (filter.Error is { } error)
            {
                decisions.Add(new(w, OutcomeKind.FilterError, $"filter error: {error}", null));
                continue;
            }
            if (!filter.Passed)
            {
                decisions.Add(new(w, OutcomeKind.FilterFalse, FilterFalseMessage, null));
                continue;
            }
            var url = budget.Measure(() => filters.RenderTemplate(w.Url, b));
            if (url.Error is { } urlError)
            {
                decisions.Add(new(w, OutcomeKind.UrlTemplateError, $"URL template error: {urlError}", null));
                continue;
            }
            decisions.Add(new(w, OutcomeKind.Fired, null, url.Value));
        }
        return decisions;
    }
}
