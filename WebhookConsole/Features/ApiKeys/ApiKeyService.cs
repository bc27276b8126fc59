using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;

namespace WebhookConsole.Features.ApiKeys;

public sealed record ApiKeyView(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTime CreatedAt, string? CreatedBy, DateTime? LastUsedAt, DateTime? RevokedAt);

public sealed record ApiKeyCreated(ApiKeyView Key, string Secret);

public sealed class ApiKeyService(IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public async Task<List<ApiKeyView>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(actor.IsAdmin && !actor.IsApiKey, "list API keys");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.RevokedAt != null).ThenByDescending(k => k.CreatedAt).ToListAsync(ct);
        return keys.Select(ToView).ToList();
    }

    /// <summary>Creates a key; its secret is in the result and nowhere else, ever.</summary>
    public async Task<ApiKeyCreated> CreateAsync(Actor actor, string name, IReadOnlyCollection<string> scopes, CancellationToken ct = default)
    {
        actor.Require(actor.IsAdmin && !actor.IsApiKey, "create API keys");
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("Give the key a name that says who uses it.", nameof(name));
        var unknown = scopes.Except(ApiScopes.All).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"Unknown scope {string.Join(", ", unknown)}.", nameof(scopes));
        if (scopes.Count == 0) throw new ArgumentException("Choose at least one scope.", nameof(scopes));

        var secret = ApiKeyHasher.NewKey();
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            Name = name.Trim(),
            Prefix = ApiKeyHasher.PrefixOf(secret),
            Hash = ApiKeyHasher.Hash(secret),
            Scopes = ApiScopes.All.Where(scopes.Contains).ToList(),
            CreatedAt = time.GetUtcNow().UtcDateTime,
            CreatedBy = actor.Name,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiKeys.Add(key);
        audit.Record(db, actor, "ApiKey", key.Id.ToString(), key.Name, "created", null,
            new Dictionary<string, string?> { ["name"] = key.Name, ["scopes"] = string.Join(" ", key.Scopes), ["prefix"] = key.Prefix });
        await db.SaveChangesAsync(ct);
        return new ApiKeyCreated(ToView(key), secret);
    }

    public async Task<bool> RevokeAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        actor.Require(actor.IsAdmin && !actor.IsApiKey, "revoke API keys");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct);
        if (key is null || key.RevokedAt is not null) return false;
        key.RevokedAt = time.GetUtcNow().UtcDateTime;
        key.RevokedBy = actor.Name;
        audit.Record(db, actor, "ApiKey", key.Id.ToString(), key.Name, "revoked",
            new Dictionary<string, string?> { ["revoked"] = "False" }, new Dictionary<string, string?> { ["revoked"] = "True" });
        await db.SaveChangesAsync(ct);
        return true;
    }

    private static ApiKeyView ToView(ApiKey k) => new(k.Id, k.Name, k.Prefix, k.Scopes, k.CreatedAt, k.CreatedBy, k.LastUsedAt, k.RevokedAt);
}
