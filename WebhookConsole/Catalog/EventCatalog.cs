using WebhookConsole.Data.Entities;

namespace WebhookConsole.Catalog;

/// <summary>One event type of the platform: where it lives, its actions and the bindings its context carries.</summary>
public sealed record EventTypeInfo(string Type, WebhookScope Scope, IReadOnlyList<string> Actions, IReadOnlyList<string> Bindings)
{
    /// <summary>Types whose events belong to a form, so a webhook may narrow to one form slug.</summary>
    public bool HasForm => Bindings.Contains("form");
}

/// <summary>The event catalog (ARCHITECTURE.md): types → actions, per scope, from the seeds.</summary>
public static class EventCatalog
{
    public static readonly IReadOnlyList<EventTypeInfo> Types =
    [
        new("User", WebhookScope.Space, ["Created", "Updated", "Deleted", "Login", "Login Failure", "Logout", "Membership Change"], ["event", "space", "user"]),
        new("Team", WebhookScope.Space, ["Created", "Updated", "Deleted", "Restored", "Membership Change"], ["event", "space", "team"]),
        new("Datastore Form", WebhookScope.Space, ["Created", "Updated", "Deleted", "Restored"], ["event", "space", "form", "user"]),
        new("Datastore Submission", WebhookScope.Space, ["Created", "Updated", "Saved", "Preprocess", "Submitted", "Deleted"], ["event", "space", "form", "submission", "values", "user"]),
        new("Discussion", WebhookScope.Space, ["Created"], ["event", "space", "discussion", "user"]),
        new("Invitation", WebhookScope.Space, ["Created", "Updated"], ["event", "space", "invitation", "user"]),
        new("Form", WebhookScope.Kapp, ["Created", "Updated", "Deleted", "Restored"], ["event", "space", "kapp", "form", "user"]),
        new("Submission", WebhookScope.Kapp, ["Created", "Updated", "Saved", "Preprocess", "Submitted", "Closed", "Deleted", "Recovered", "Status Changed"], ["event", "space", "kapp", "form", "submission", "values", "user"]),
    ];

    private static readonly Dictionary<string, EventTypeInfo> ByType =
        Types.ToDictionary(t => t.Type, StringComparer.OrdinalIgnoreCase);

    public static EventTypeInfo? Find(string? type) =>
        type is not null && ByType.TryGetValue(type, out var info) ? info : null;

    public static IEnumerable<EventTypeInfo> ForScope(WebhookScope scope) => Types.Where(t => t.Scope == scope);

    /// <summary>
    /// The events a platform waits on for the receiver's reply (the applicant portal's <c>form_preprocess</c> and
    /// <c>form_submit_*</c>): only their webhooks may be synchronous.
    /// </summary>
    public static bool WaitsForReply(string? type, string? action) =>
        type is "Submission" or "Datastore Submission" && action is "Preprocess" or "Submitted";

    public const string WaitingEvents = "Submission or Datastore Submission, Preprocess or Submitted (the portal's form_preprocess and form_submit_*)";

    /// <summary>The canonical spelling of an action of a type, or null when the pair is not in the catalog.</summary>
    public static string? FindAction(string? type, string? action) =>
        Find(type)?.Actions.FirstOrDefault(a => string.Equals(a, action, StringComparison.OrdinalIgnoreCase));
}
