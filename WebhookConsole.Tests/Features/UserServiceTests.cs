using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Features.ApiKeys;
using WebhookConsole.Features.Users;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features;

/// <summary>What a role may not do is refused by the services themselves, not only hidden in the UI.</summary>
public abstract class RoleRulesTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : ConsoleFactory
{
    private static readonly Actor Support = new("s1", "support@test.local", false, new HashSet<string> { Roles.Support }, new HashSet<string>());

    [Fact]
    public async Task Support_cannot_change_webhooks_users_or_keys()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        await Assert.ThrowsAsync<ForbiddenException>(() => sp.GetRequiredService<WebhookService>().CreateAsync(Support, new WebhookInput { Name = "x" }));
        await Assert.ThrowsAsync<ForbiddenException>(() => sp.GetRequiredService<WebhookService>().DeleteAsync(Support, Guid.NewGuid()));
        await Assert.ThrowsAsync<ForbiddenException>(() => sp.GetRequiredService<UserService>().CreateAsync(Support, "a@b.c", null, Roles.Admin));
        await Assert.ThrowsAsync<ForbiddenException>(() => sp.GetRequiredService<UserService>().ListAsync(Support));
        await Assert.ThrowsAsync<ForbiddenException>(() => sp.GetRequiredService<ApiKeyService>().CreateAsync(Support, "k", [ApiScopes.EventsWrite]));
        Assert.True(Support.CanManageJobs);
    }

    [Fact]
    public async Task The_last_active_admin_cannot_be_demoted_or_disabled()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var admin = (await users.ListAsync(Actor.System)).Single(u => u.Email == ConsoleFactory.AdminEmail);
        var demote = await users.ChangeRoleAsync(Actor.System, admin.Id, Roles.Support);
        Assert.False(demote.Ok);
        Assert.Contains("last active admin", demote.Message);
        Assert.False((await users.SetDisabledAsync(Actor.System, admin.Id, true)).Ok);
    }

    [Fact]
    public async Task Reset_password_returns_a_new_working_password_once_and_audits_without_it()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var created = await users.CreateAsync(Actor.System, $"reset-{Guid.NewGuid():N}"[..20] + "@test.local", "Reset Me", Roles.Support);
        var id = (await users.ListAsync(Actor.System)).Single(u => u.DisplayName == "Reset Me").Id;
        var reset = await users.ResetPasswordAsync(Actor.System, id);
        Assert.True(reset.Ok);
        Assert.NotEqual(created.Password, reset.Password);

        var identity = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<WebhookConsole.Data.Entities.AppUser>>();
        var user = await identity.FindByIdAsync(id);
        Assert.True(await identity.CheckPasswordAsync(user!, reset.Password!));
        Assert.False(await identity.CheckPasswordAsync(user!, created.Password!));

        await using var db = await factory.Service<Microsoft.EntityFrameworkCore.IDbContextFactory<WebhookConsole.Data.AppDbContext>>().CreateDbContextAsync();
        var audit = db.AuditEntries.Where(a => a.EntityId == id).ToList();
        Assert.Contains(audit, a => a.Action == "password reset");
        Assert.DoesNotContain(reset.Password!, System.Text.Json.JsonSerializer.Serialize(audit));
    }
}

/// <summary>RoleRulesTests on SQLite.</summary>
public sealed class RoleRulesTestsOnSqlite(ConsoleFactory factory) : RoleRulesTests<ConsoleFactory>(factory);

/// <summary>RoleRulesTests on PostgreSQL.</summary>
public sealed class RoleRulesTestsOnPostgres(PostgresConsoleFactory factory) : RoleRulesTests<PostgresConsoleFactory>(factory);
