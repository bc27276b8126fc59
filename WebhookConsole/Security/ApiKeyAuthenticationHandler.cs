using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using WebhookConsole.Data;

namespace WebhookConsole.Security;

/// <summary><c>Authorization: Bearer &lt;key&gt;</c> for the HTTP API. 401 without a valid key, 403 without the scope.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDbContextFactory<AppDbContext> dbFactory,
    IMemoryCache cache,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    private sealed record CachedKey(Guid Id, string Name, string[] Scopes, bool Revoked);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var key = header["Bearer ".Length..].Trim();
        if (key.Length == 0) return AuthenticateResult.Fail("Empty API key.");

        var hash = ApiKeyHasher.Hash(key);
        // A short cache keeps key look-ups off the hot path of event ingestion; revocation applies within seconds.
        var found = await cache.GetOrCreateAsync("apikey:" + hash, async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
            var row = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, Context.RequestAborted);
            return row is null ? null : new CachedKey(row.Id, row.Name, [.. row.Scopes], row.RevokedAt is not null);
        });
        if (found is null || found.Revoked) return AuthenticateResult.Fail("Unknown or revoked API key.");

        await TouchAsync(found.Id);
        Context.Items[SchemeName] = found.Id;

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, found.Id.ToString()),
            new(ClaimTypes.Name, $"api-key:{found.Name}"),
        };
        claims.AddRange(found.Scopes.Select(s => new Claim(ApiScopes.ClaimType, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private async Task TouchAsync(Guid id)
    {
        // Last-used is shown to the minute; writing it on every request would serialize ingestion on one row.
        var now = time.GetUtcNow().UtcDateTime;
        if (cache.TryGetValue("apikey-touched:" + id, out _)) return;
        cache.Set("apikey-touched:" + id, true, LastUsedResolution);
        await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
        await db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "Authentication required",
            "Send a valid API key as 'Authorization: Bearer <key>'. Keys are created on the API Keys page.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "Missing scope",
            "This API key lacks the scope this endpoint needs; create a key with it on the API Keys page.");

    private Task WriteProblem(int status, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == 401) Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(Context);
    }
}
