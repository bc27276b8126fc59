using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace WebhookConsole.Security;

/// <summary>
/// The transport's defences, one place: ASP.NET Core's rate limiter (sign-in posts per address,
/// <c>Api:RequestsPerSecondPerKey</c> per API key), security headers on every response, HSTS over HTTPS, and
/// forwarded headers only when <c>Network:TrustForwardedHeaders</c> says a proxy sets them.
/// </summary>
public static class WebDefenses
{
    /// <summary>
    /// Blazor, MudBlazor and Monaco work under this: scripts from the console only, inline styles (both set element
    /// styles), Monaco's web workers from blob: URLs, the circuit's WebSocket on the same origin. Nothing may frame it.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static IHostApplicationBuilder AddWebDefenses(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<SignInOptions>(builder.Configuration.GetSection("SignIn"));
        services.AddSingleton<SignInGuard>();
        var perKey = builder.Configuration.GetValue("Api:RequestsPerSecondPerKey", 0);
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(SignInPerAddress(), ApiPerKey(perKey));
            o.OnRejected = async (context, ct) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 60;
                var http = context.HttpContext;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var signIn = http.Request.Path.StartsWithSegments("/account/login");
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("WebhookConsole.WebDefenses")
                    .LogWarning("Rate limit: {What} from {Address} refused for {Seconds} s", signIn ? "sign-in" : "API key", http.Connection.RemoteIpAddress, seconds);
                await Results.Problem(statusCode: 429, title: "Too many requests",
                    detail: signIn
                        ? $"Too many sign-in attempts from this address; try again in {seconds} s."
                        : $"This API key sent more than {perKey} requests per second (Api:RequestsPerSecondPerKey); retry after {seconds} s.").ExecuteAsync(http);
            };
        });
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            var proxies = builder.Configuration.GetSection("Network:KnownProxies").Get<string[]>() ?? [];
            // Trusting forwarded headers is the operator's statement that only the proxy reaches the console.
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            foreach (var proxy in proxies.Where(p => !string.IsNullOrWhiteSpace(p))) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy.Contains('/') ? proxy : proxy + (proxy.Contains(':') ? "/128" : "/32")));
        });
        return builder;

        PartitionedRateLimiter<HttpContext> SignInPerAddress() => PartitionedRateLimiter.Create<HttpContext, string>(http =>
        {
            if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.Path.StartsWithSegments("/account/login")) return RateLimitPartition.GetNoLimiter("");
            var limit = http.RequestServices.GetRequiredService<IOptions<SignInOptions>>().Value.AttemptsPerAddressPerMinute;
            return RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "?", _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, limit), Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
            });
        });

        static PartitionedRateLimiter<HttpContext> ApiPerKey(int perSecond) => PartitionedRateLimiter.Create<HttpContext, string>(http =>
        {
            string? header = http.Request.Headers.Authorization;
            if (perSecond <= 0 || !http.Request.Path.StartsWithSegments("/api") || header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return RateLimitPartition.GetNoLimiter("");
            }
            // Partitioned by a hash of the key as sent: the limit holds before the key is even looked up.
            var partition = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(header)), 0, 12);
            return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perSecond, TokensPerPeriod = perSecond, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
            });
        });
    }

    /// <summary>Before everything else in the pipeline: client addresses, then headers, then the limits.</summary>
    public static WebApplication UseWebDefenses(this WebApplication app)
    {
        if (app.Configuration.GetValue("Network:TrustForwardedHeaders", false)) app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            // Set as the response starts, where not set already (the inspector's bins carry a stricter policy).
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(context);
        });
        // Sent only on HTTPS responses (and never for localhost): a console behind plain HTTP is not locked out.
        if (!app.Environment.IsDevelopment()) app.UseHsts();
        app.UseRateLimiter();
        return app;
    }
}
