using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Features.Users;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Account;

/// <summary>The real sign-in form over HTTP: antiforgery token, cookie, lockout, disabled accounts.</summary>
public abstract partial class SignInTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : ConsoleFactory
{
    private HttpClient NewBrowserlikeClient() =>
        factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password) => SignInForm.PostAsync(client, email, password);

    private async Task<string> CreateUserAsync(string role)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var email = $"u{Guid.NewGuid():N}"[..13] + "@test.local";
        var result = await scope.ServiceProvider.GetRequiredService<UserService>().CreateAsync(Actor.System, email, null, role);
        Assert.True(result.Ok, result.Message);
        // Sign-in needs the generated password; keep it in the returned string.
        return email + "\n" + result.Password;
    }

    [Fact]
    public async Task Pages_redirect_to_sign_in_when_signed_out()
    {
        var client = NewBrowserlikeClient();
        var response = await client.GetAsync("/users");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/account/login", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Seeded_admin_signs_in_and_reaches_admin_pages()
    {
        var client = NewBrowserlikeClient();
        var response = await PostLoginAsync(client, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith("/webhooks", response.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/users")).StatusCode);
    }

    [Fact]
    public async Task Support_is_refused_admin_pages_on_the_server()
    {
        var credentials = (await CreateUserAsync(Roles.Support)).Split('\n');
        var client = NewBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await PostLoginAsync(client, credentials[0], credentials[1])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/webhooks")).StatusCode);
        foreach (var adminPage in new[] { "/users", "/api-keys", "/audit" })
        {
            var response = await client.GetAsync(adminPage);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Contains("/account/access-denied", response.Headers.Location!.ToString());
        }
    }

    [Fact]
    public async Task The_hangfire_dashboard_is_for_admins_only()
    {
        var anonymous = await NewBrowserlikeClient().GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/account/login", anonymous.Headers.Location!.ToString());

        var credentials = (await CreateUserAsync(Roles.Support)).Split('\n');
        var support = NewBrowserlikeClient();
        await PostLoginAsync(support, credentials[0], credentials[1]);
        var refused = await support.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/account/access-denied", refused.Headers.Location!.ToString());

        var admin = NewBrowserlikeClient();
        await PostLoginAsync(admin, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        var page = await admin.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Hangfire", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Wrong_password_is_refused_and_the_account_locks_after_five_tries()
    {
        var credentials = (await CreateUserAsync(Roles.Support)).Split('\n');
        var client = NewBrowserlikeClient();
        for (var i = 0; i < 4; i++)
        {
            var wrong = await PostLoginAsync(client, credentials[0], "Not-the-passw0rd");
            Assert.Contains("Wrong email or password", await wrong.Content.ReadAsStringAsync());
        }
        var fifth = await PostLoginAsync(client, credentials[0], "Not-the-passw0rd");
        Assert.Contains("locked", await fifth.Content.ReadAsStringAsync());
        // Locked: even the right password is refused now.
        var right = await PostLoginAsync(client, credentials[0], credentials[1]);
        Assert.NotEqual(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Contains("locked", await right.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Disabled_users_cannot_sign_in()
    {
        var credentials = (await CreateUserAsync(Roles.Support)).Split('\n');
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserService>();
            var id = (await users.ListAsync(Actor.System)).Single(u => u.Email == credentials[0]).Id;
            Assert.True((await users.SetDisabledAsync(Actor.System, id, true)).Ok);
        }
        var response = await PostLoginAsync(NewBrowserlikeClient(), credentials[0], credentials[1]);
        Assert.Contains("disabled", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("https://evil.example/phish", "/webhooks")]
    [InlineData("//evil.example", "/webhooks")]
    [InlineData("/users", "/users")]
    public void Return_urls_stay_on_this_site(string returnUrl, string expected) =>
        Assert.Equal(expected, WebhookConsole.Features.Account.Login.SafeReturnUrl(returnUrl));
}

/// <summary>SignInTests on SQLite.</summary>
public sealed class SignInTestsOnSqlite(ConsoleFactory factory) : SignInTests<ConsoleFactory>(factory);

/// <summary>SignInTests on PostgreSQL.</summary>
public sealed class SignInTestsOnPostgres(PostgresConsoleFactory factory) : SignInTests<PostgresConsoleFactory>(factory);
