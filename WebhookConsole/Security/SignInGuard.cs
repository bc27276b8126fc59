using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Security;

/// <summary>Sign-in limits (section <c>SignIn</c>).</summary>
public sealed class SignInOptions
{
    /// <summary>Sign-in posts one address may make per minute (an office behind one NAT shares it).</summary>
    public int AttemptsPerAddressPerMinute { get; set; } = 30;
    /// <summary>Sign-in posts for one e-mail address per minute, whoever sends them.</summary>
    public int AttemptsPerAccountPerMinute { get; set; } = 10;
}

/// <summary>
/// What makes password guessing slow and uninformative: a per-account limit (the per-address one is the rate
/// limiter's, see <see cref="WebDefenses"/>), and the same answer, at the same cost, for an e-mail that has no
/// account as for one that has: unknown e-mails are hashed against a dummy password and "lock" after as many
/// failures as real accounts do, so neither the message nor the timing says which e-mails exist.
/// </summary>
public sealed class SignInGuard(IOptions<SignInOptions> options, IOptions<IdentityOptions> identity, IMemoryCache cache) : IDisposable
{
    private static readonly PasswordHasher<AppUser> Hasher = new();
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(new AppUser(), Guid.NewGuid().ToString("N")));

    private readonly PartitionedRateLimiter<string> _perAccount = PartitionedRateLimiter.Create<string, string>(email =>
        RateLimitPartition.GetFixedWindowLimiter(email, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, options.Value.AttemptsPerAccountPerMinute), Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
        }));

    /// <summary>Takes one attempt for this e-mail; false with the wait when its minute is used up.</summary>
    public bool TryAttempt(string email, out TimeSpan retryAfter)
    {
        using var lease = _perAccount.AttemptAcquire(Normalize(email));
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
        return lease.IsAcquired;
    }

    /// <summary>The work of checking a password, spent for an e-mail with no account.</summary>
    public static void SpendPasswordCheck(string password) => Hasher.VerifyHashedPassword(new AppUser(), DummyHash.Value, password);

    /// <summary>Counts a failure for an e-mail with no account; true once it would be locked out, as a real one is.</summary>
    public bool FailUnknown(string email)
    {
        var key = "signin-unknown:" + Normalize(email);
        var failures = cache.GetOrCreate(key, e =>
        {
            e.AbsoluteExpirationRelativeToNow = identity.Value.Lockout.DefaultLockoutTimeSpan;
            return new StrongBox<int>();
        })!;
        return Interlocked.Increment(ref failures.Value) >= identity.Value.Lockout.MaxFailedAccessAttempts;
    }

    public bool IsUnknownLockedOut(string email) =>
        cache.TryGetValue("signin-unknown:" + Normalize(email), out StrongBox<int>? failures) && failures!.Value >= identity.Value.Lockout.MaxFailedAccessAttempts;

    private static string Normalize(string email) => email.Trim().ToUpperInvariant();

    public void Dispose() => _perAccount.Dispose();
}
