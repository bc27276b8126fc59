using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Security;

/// <summary>The circuit's session ended (the user was disabled, deleted or signed out elsewhere): it is sent to sign-in.</summary>
public sealed class SessionEndedException(string message) : ForbiddenException(message);

/// <summary>
/// Who is acting in this circuit, read from the database at each action: the roles the user has now, not the ones
/// the cookie carried when the tab was opened. A disabled or deleted user's next action is refused and the tab is
/// sent to sign-in, without waiting for the next revalidation.
/// </summary>
public interface ICurrentUser
{
    /// <summary>The actor as the database knows them now; throws <see cref="SessionEndedException"/> when the session is over.</summary>
    Task<Actor> ActorAsync();
}

/// <inheritdoc cref="ICurrentUser"/>
public sealed class CurrentUser(AuthenticationStateProvider authentication, IServiceScopeFactory scopes, NavigationManager navigation) : ICurrentUser
{
    public async Task<Actor> ActorAsync()
    {
        var principal = (await authentication.GetAuthenticationStateAsync()).User;
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (id is null) throw End("You are signed out; sign in again.");
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByIdAsync(id);
        if (user is null) throw End("Your account was removed.");
        if (user.Disabled) throw End("Your account was disabled by an admin.");
        if (await users.IsLockedOutAsync(user)) throw End("Your account is locked.");
        var stampClaim = principal.FindFirstValue(scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType);
        if (users.SupportsUserSecurityStamp && stampClaim is not null && stampClaim != await users.GetSecurityStampAsync(user))
        {
            throw End("Your account changed (role, password or sign-out elsewhere); sign in again.");
        }
        var roles = (await users.GetRolesAsync(user)).ToHashSet();
        return new Actor(user.Id, user.Email ?? user.UserName ?? id, false, roles, new HashSet<string>());
    }

    private SessionEndedException End(string why)
    {
        navigation.NavigateTo("/account/login?ReturnUrl=" + Uri.EscapeDataString("/" + navigation.ToBaseRelativePath(navigation.Uri)), forceLoad: true);
        return new SessionEndedException(why);
    }
}

/// <summary>
/// A person as the database knows them now, for work carried on in their name away from their tab (a bulk
/// operation on the durable lane): null when the account is gone, disabled or locked.
/// </summary>
public interface IActorDirectory
{
    Task<Actor?> FindUserAsync(string userId);
}

/// <inheritdoc cref="IActorDirectory"/>
public sealed class IdentityActorDirectory(UserManager<AppUser> users) : IActorDirectory
{
    public async Task<Actor?> FindUserAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null || user.Disabled || await users.IsLockedOutAsync(user)) return null;
        var roles = (await users.GetRolesAsync(user)).ToHashSet();
        return new Actor(user.Id, user.Email ?? user.UserName ?? userId, false, roles, new HashSet<string>());
    }
}
