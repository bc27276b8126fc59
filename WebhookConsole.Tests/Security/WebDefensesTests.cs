using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Security;

/// <summary>The console with tight limits, so the tests reach them in a few requests.</summary>
public sealed class LimitedConsoleFactory : ConsoleFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("SignIn:AttemptsPerAddressPerMinute", "12");
        builder.UseSetting("SignIn:AttemptsPerAccountPerMinute", "3");
        builder.UseSetting("Api:RequestsPerSecondPerKey", "5");
    }
}

public partial class WebDefensesTests(LimitedConsoleFactory factory) : IClassFixture<LimitedConsoleFactory>
{
    private HttpClient Browserlike() => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password) => SignInForm.PostAsync(client, email, password);

    [Theory]
    [InlineData("/account/login")]
    [InlineData("/webhooks")]
    [InlineData("/api/v1/nothing-here")]
    [InlineData("/app.css")]
    [InlineData("/no-such-page")]
    public async Task Every_response_carries_the_security_headers(string path)
    {
        var response = await Browserlike().GetAsync(path);
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        // Plain HTTP: no HSTS (it would lock a console without TLS out of browsers).
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Over_https_the_cookie_is_secure_and_hsts_is_sent()
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = new Uri("https://console.example") });
        var response = await client.GetAsync("/account/login");
        Assert.Contains("max-age=", response.Headers.GetValues("Strict-Transport-Security").Single());
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var c) ? c.ToList() : [];
        Assert.NotEmpty(cookies);
        Assert.All(cookies, cookie => Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Forwarded_headers_are_ignored_unless_trusted()
    {
        // X-Forwarded-Proto: https would make the cookie Secure and send HSTS if it were believed.
        var client = Browserlike();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/login");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        var response = await client.SendAsync(request);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Sign_in_is_limited_per_account_with_the_same_answer_for_unknown_emails()
    {
        var known = ConsoleFactory.AdminEmail;
        var unknown = $"nobody-{Guid.NewGuid():N}"[..16] + "@test.local";
        foreach (var email in new[] { known, unknown })
        {
            var client = Browserlike();
            var answers = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                var response = await PostLoginAsync(client, email, "Wrong-Passw0rd!");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                answers.Add(Regex.Match(await response.Content.ReadAsStringAsync(), "data-testid=\"login-error\"[^>]*>(?:<[^>]+>)*([^<]+)").Groups[1].Value.Trim());
            }
            Assert.All(answers, a => Assert.Equal("Wrong email or password.", a));
            var limited = await PostLoginAsync(client, email, "Wrong-Passw0rd!");
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) > 0);
        }

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var audited = await db.AuditEntries.Where(a => a.EntityType == "User" && a.Action.StartsWith("sign-in")).ToListAsync();
        Assert.Contains(audited, a => a.EntityName == known && a.Action == "sign-in failed: wrong password");
        Assert.Contains(audited, a => a.EntityName == unknown && a.Action == "sign-in failed: no such account");
        Assert.Contains(audited, a => a.Action == "sign-in refused: too many attempts for the account");
        // The admin's password still works once the minute is over: the limit is not a lockout.
    }

    [Fact]
    public async Task Sign_in_posts_are_limited_per_address()
    {
        var client = Browserlike();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 14 && last?.StatusCode != HttpStatusCode.TooManyRequests; i++)
        {
            last = await PostLoginAsync(client, $"p{i}-{Guid.NewGuid():N}"[..12] + "@test.local", "Wrong-Passw0rd!");
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, last!.StatusCode);
        Assert.True(last.Headers.Contains("Retry-After"));
        Assert.Equal("application/problem+json", last.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_api_key_past_its_rate_gets_429_with_retry_after()
    {
        var client = await factory.CreateApiClientAsync(WebhookConsole.Security.ApiScopes.JobsManage);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++) statuses.Add((await client.GetAsync("/api/v1/jobs?limit=1")).StatusCode);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        // Another key has its own budget.
        var other = await factory.CreateApiClientAsync(WebhookConsole.Security.ApiScopes.JobsManage);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/jobs?limit=1")).StatusCode);
    }
}
