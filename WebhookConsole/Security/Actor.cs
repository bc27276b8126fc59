using System.Security.Claims;

namespace WebhookConsole.Security;

/// <summary>
/// Who is asking: a signed-in person or an API key. Services check it themselves, so a role's limits
/// hold even when a page forgets to hide a button.
/// </summary>
public sealed record Actor(string Id, string Name, bool IsApiKey, IReadOnlySet<string> Roles, IReadOnlySet<string> Scopes)
{
    public static readonly Actor System = new("system", "system", false, new HashSet<string> { Security.Roles.Admin }, new HashSet<string>());

    public static Actor From(ClaimsPrincipal user)
    {
        var isKey = user.Identity?.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName;
        return new Actor(
            user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "",
            user.Identity?.Name ?? "anonymous",
            isKey,
            user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(),
            user.FindAll(ApiScopes.ClaimType).Select(c => c.Value).ToHashSet());
    }

    public bool IsAdmin => Roles.Contains(Security.Roles.Admin);
    public bool CanManageWebhooks => IsAdmin || Scopes.Contains(ApiScopes.WebhooksManage);
    public bool CanManageJobs => IsAdmin || Roles.Contains(Security.Roles.Support) || Scopes.Contains(ApiScopes.JobsManage);
    public bool CanManageUsers => IsAdmin && !IsApiKey;

    public void Require(bool allowed, string what)
    {
        if (!allowed) throw new ForbiddenException($"{Name} may not {what}.");
    }
}

public class ForbiddenException(string message) : Exception(message);
