using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data;

namespace WebhookConsole.Security;

/// <summary>
/// The accounts' part of start-up, after the migrations (<see cref="DatabaseInitializer"/>): the roles, secrets
/// stored before encryption at rest, and on an empty database the first admin (<c>Seed:AdminEmail</c> /
/// <c>Seed:AdminPassword</c>, generated and logged once when missing) and the optional <c>Seed:ApiKey</c>.
/// </summary>
public sealed class AccountSeed(
    IDbContextFactory<AppDbContext> dbFactory,
    UserManager<AppUser> users,
    RoleManager<IdentityRole> roles,
    SecretsMigration secrets,
    IConfiguration configuration,
    ILogger<AccountSeed> logger) : IDatabaseSeed
{
    public async Task SeedAsync(CancellationToken ct)
    {
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));
        }

        await secrets.RunAsync(ct);
        if (!await users.Users.AnyAsync(ct)) await SeedAdminAsync();
        await SeedApiKeyAsync(ct);
    }

    private async Task SeedAdminAsync()
    {
        var email = configuration["Seed:AdminEmail"] is { Length: > 0 } e ? e : "admin@localhost";
        var password = configuration["Seed:AdminPassword"];
        var generated = string.IsNullOrEmpty(password);
        if (generated) password = Passwords.Generate();

        var admin = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Administrator", CreatedAt = DateTime.UtcNow };
        var result = await users.CreateAsync(admin, password!);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Could not create the first admin from Seed:AdminEmail/Seed:AdminPassword: "
                + string.Join(" ", result.Errors.Select(x => x.Description)));
        }
        await users.AddToRoleAsync(admin, Roles.Admin);
        if (generated)
        {
            // Printed once, on the first start only: the password is not stored anywhere in clear.
            logger.LogWarning("First start: created admin {Email} with generated password {Password} — sign in and change it (Account > Change password).", email, password);
        }
        else
        {
            logger.LogInformation("First start: created admin {Email} with the password from Seed:AdminPassword.", email);
        }
    }

    private async Task SeedApiKeyAsync(CancellationToken ct)
    {
        var key = configuration["Seed:ApiKey"];
        if (string.IsNullOrEmpty(key)) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = ApiKeyHasher.Hash(key);
        if (await db.ApiKeys.AnyAsync(k => k.Hash == hash, ct)) return;
        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.NewGuid(),
            Name = "Seed:ApiKey",
            Prefix = ApiKeyHasher.PrefixOf(key),
            Hash = hash,
            Scopes = [.. ApiScopes.All],
            CreatedAt = DateTime.UtcNow,
            CreatedBy = "configuration",
        });
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Created the API key from Seed:ApiKey (all scopes).");
    }
}
