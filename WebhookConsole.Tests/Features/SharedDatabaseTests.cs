using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Features.Audit;
using WebhookConsole.Features.Notifications;
using WebhookConsole.Features.Users;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features;

/// <summary>
/// Two console instances on one PostgreSQL database, as behind a load balancer: what a person does or is on one
/// instance holds on the other (accounts, cookies, audit, notifications), since each reads the shared database.
/// </summary>
public sealed class SharedDatabaseTests : IAsyncLifetime
{
    private readonly PostgresConsoleFactory _a = new();
    private PostgresConsoleFactory _b = null!;

    public Task InitializeAsync()
    {
        _ = _a.Services; // A starts first and migrates; B joins its database.
        _b = PostgresConsoleFactory.Joining(_a);
        _ = _b.Services;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    [Fact]
    public async Task A_user_disabled_on_one_instance_cannot_act_or_sign_in_on_another()
    {
        var email = $"u{Guid.NewGuid():N}"[..13] + "@test.local";
        string id, password;
        await using (var scope = _a.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserService>();
            var created = await users.CreateAsync(Actor.System, email, null, Roles.Support);
            Assert.True(created.Ok, created.Message);
            password = created.Password!;
            id = (await users.ListAsync(Actor.System)).Single(u => u.Email == email).Id;
        }

        // Signed in on B; B's cookie is good on A too (the Data Protection key ring is in the shared database).
        var onB = _b.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var signIn = await SignInForm.PostAsync(onB, email, password);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookies = signIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        var onA = _a.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        onA.DefaultRequestHeaders.Add("Cookie", string.Join("; ", cookies));
        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync("/jobs")).StatusCode);

        // B's open tab acts as the user the database knows now.
        var tabOnB = await TabAsync(_b, id);
        Assert.Contains(Roles.Support, (await tabOnB.ActorAsync()).Roles);

        await using (var scope = _a.Services.CreateAsyncScope())
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<UserService>().SetDisabledAsync(Actor.System, id, true)).Ok);
        }

        var refused = await Assert.ThrowsAsync<SessionEndedException>(tabOnB.ActorAsync);
        Assert.Contains("disabled", refused.Message);
        await using (var scope = _b.Services.CreateAsyncScope())
        {
            Assert.Null(await scope.ServiceProvider.GetRequiredService<IActorDirectory>().FindUserAsync(id));
        }
        var again = await SignInForm.PostAsync(_b.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }), email, password);
        Assert.Contains("disabled", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Audit_and_notifications_written_by_one_instance_are_read_on_another()
    {
        var api = _a.CreateSeedKeyClient();
        var created = await api.PostAsync("/api/v1/webhooks", new StringContent("""
            { "name": "Shared receiver", "type": "Submission", "event": "Submitted", "scope": "Kapp", "kapp": "shared", "url": "http://127.0.0.1:9/x", "signing": { "scheme": "none" } }
            """, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var webhookId = Guid.Parse(System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        await _a.Service<WebhookHealth>().DisableAsync(webhookId, "10 failures in a row", CancellationToken.None);

        await using var scope = _b.Services.CreateAsyncScope();
        var (unread, latest) = await scope.ServiceProvider.GetRequiredService<NotificationService>().GetAsync(Actor.System);
        Assert.True(unread >= 1);
        Assert.Contains(latest, n => n.WebhookId == webhookId && n.Title == "Webhook 'Shared receiver' was disabled");
        var (audit, _) = await scope.ServiceProvider.GetRequiredService<AuditQuery>().ListAsync(Actor.System, new AuditFilter(EntityType: "Webhook"));
        Assert.Contains(audit, e => e.EntityId == webhookId.ToString() && e.Action == "disabled by the system");
        Assert.Contains(audit, e => e.EntityId == webhookId.ToString() && e.Actor != "system");
    }

    /// <summary>An open tab on <paramref name="console"/>: the user's principal as sign-in made it, and the real <see cref="CurrentUser"/>.</summary>
    private static async Task<CurrentUser> TabAsync(ConsoleFactory console, string userId)
    {
        await using var scope = console.Services.CreateAsyncScope();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<AppUser>>();
        var principal = await signIn.CreateUserPrincipalAsync((await signIn.UserManager.FindByIdAsync(userId))!);
        return new CurrentUser(new FixedAuthentication(principal), console.Services.GetRequiredService<IServiceScopeFactory>(), new TabNavigation());
    }

    private sealed class FixedAuthentication(ClaimsPrincipal principal) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(principal));
    }

    private sealed class TabNavigation : NavigationManager
    {
        public TabNavigation() => Initialize("http://localhost/", "http://localhost/jobs");

        protected override void NavigateToCore(string uri, bool forceLoad) => Uri = ToAbsoluteUri(uri).ToString();
    }
}
