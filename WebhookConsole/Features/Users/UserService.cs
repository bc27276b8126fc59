using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Users;

public sealed record UserView(string Id, string Email, string? DisplayName, string Role, bool Disabled, bool LockedOut, DateTime CreatedAt);

public sealed record UserResult(bool Ok, string Message, string? Password = null);

/// <summary>User administration (Admin only, checked here as well as on the page).</summary>
public sealed class UserService(UserManager<AppUser> users, IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public async Task<List<UserView>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(actor.IsAdmin, "list users");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name }).ToListAsync(ct);
        var now = time.GetUtcNow();
        var list = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        return list.Select(u => new UserView(u.Id, u.Email ?? "", u.DisplayName,
            roles.Where(r => r.UserId == u.Id).Select(r => r.Name).OrderBy(n => n == Roles.Admin ? 0 : 1).FirstOrDefault() ?? "",
            u.Disabled, u.LockoutEnd is { } end && end > now, u.CreatedAt)).ToList();
    }

    public async Task<UserResult> CreateAsync(Actor actor, string email, string? displayName, string role, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageUsers, "create users");
        if (!Roles.All.Contains(role)) return new(false, $"The role is {string.Join(" or ", Roles.All)}.");
        email = email.Trim();
        if (await users.FindByEmailAsync(email) is not null) return new(false, $"{email} already has an account.");
        var password = Passwords.Generate();
        var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim(), CreatedAt = time.GetUtcNow().UtcDateTime };
        var result = await users.CreateAsync(user, password);
        if (!result.Succeeded) return new(false, Describe(result));
        await users.AddToRoleAsync(user, role);
        await RecordAsync(actor, user, "created", null, new() { ["email"] = email, ["role"] = role, ["displayName"] = user.DisplayName }, ct);
        return new(true, $"{email} can now sign in with the password shown once below.", password);
    }

    public async Task<UserResult> ChangeRoleAsync(Actor actor, string userId, string role, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageUsers, "change roles");
        if (!Roles.All.Contains(role)) return new(false, $"The role is {string.Join(" or ", Roles.All)}.");
        var user = await users.FindByIdAsync(userId);
        if (user is null) return new(false, "This user no longer exists.");
        var current = await users.GetRolesAsync(user);
        if (current.SequenceEqual([role])) return new(true, "No change.");
        if (current.Contains(Roles.Admin) && role != Roles.Admin && await IsLastActiveAdminAsync(user)) return new(false, "This is the last active admin; make someone else Admin first.");
        await users.RemoveFromRolesAsync(user, current);
        await users.AddToRoleAsync(user, role);
        // Open sessions pick up the new role at their next check instead of keeping the old one.
        await users.UpdateSecurityStampAsync(user);
        await RecordAsync(actor, user, "role changed", new() { ["role"] = string.Join(",", current) }, new() { ["role"] = role }, ct);
        return new(true, $"{user.Email} is now {role}.");
    }

    public async Task<UserResult> SetDisabledAsync(Actor actor, string userId, bool disabled, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageUsers, "disable users");
        var user = await users.FindByIdAsync(userId);
        if (user is null) return new(false, "This user no longer exists.");
        if (disabled && user.Id == actor.Id) return new(false, "You cannot disable your own account.");
        if (disabled && await users.IsInRoleAsync(user, Roles.Admin) && await IsLastActiveAdminAsync(user)) return new(false, "This is the last active admin; it cannot be disabled.");
        if (user.Disabled == disabled) return new(true, "No change.");
        user.Disabled = disabled;
        await users.UpdateAsync(user);
        await users.UpdateSecurityStampAsync(user);
        await RecordAsync(actor, user, disabled ? "disabled" : "enabled", new() { ["disabled"] = (!disabled).ToString() }, new() { ["disabled"] = disabled.ToString() }, ct);
        return new(true, disabled ? $"{user.Email} is disabled and signed out." : $"{user.Email} can sign in again.");
    }

    /// <summary>Sets a new generated password (shown once), unlocks the account, and ends its sessions.</summary>
    public async Task<UserResult> ResetPasswordAsync(Actor actor, string userId, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageUsers, "reset passwords");
        var user = await users.FindByIdAsync(userId);
        if (user is null) return new(false, "This user no longer exists.");
        var password = Passwords.Generate();
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var result = await users.ResetPasswordAsync(user, token, password);
        if (!result.Succeeded) return new(false, Describe(result));
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await RecordAsync(actor, user, "password reset", null, new() { ["password"] = AuditLog.Masked }, ct);
        return new(true, $"New password for {user.Email}, shown once:", password);
    }

    private async Task<bool> IsLastActiveAdminAsync(AppUser user)
    {
        var admins = await users.GetUsersInRoleAsync(Roles.Admin);
        return admins.Count(a => !a.Disabled && a.Id != user.Id) == 0;
    }

    private async Task RecordAsync(Actor actor, AppUser user, string action, Dictionary<string, string?>? before, Dictionary<string, string?>? after, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        audit.Record(db, actor, "User", user.Id, user.Email, action, before, after);
        await db.SaveChangesAsync(ct);
    }

    private static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description));
}
