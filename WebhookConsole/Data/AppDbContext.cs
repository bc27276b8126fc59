using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data;

/// <remarks>
/// Add a migration after changing the model:
/// <c>dotnet ef migrations add Name --project WebhookConsole --output-dir Data/Migrations/Sqlite</c>
/// (install the tool once with <c>dotnet tool install -g dotnet-ef</c>). A test fails while the model
/// has changes no migration captures.
/// </remarks>
public class AppDbContext(DbContextOptions<AppDbContext> options) : IdentityDbContext<AppUser>(options), IDataProtectionKeyContext
{
    /// <summary>The Data Protection key ring: it encrypts the secrets at rest and the sign-in cookies (back it up with the database).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Webhook> Webhooks => Set<Webhook>();
    public DbSet<Event> Events => Set<Event>();
    public DbSet<EventOutcome> EventOutcomes => Set<EventOutcome>();
    public DbSet<WebhookJob> WebhookJobs => Set<WebhookJob>();
    public DbSet<JobAttempt> JobAttempts => Set<JobAttempt>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Notification> Notifications => Set<Notification>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Dates as UTC ticks and ids as 16 bytes: a third of a delivery's bytes on disk were these as text.
        builder.Properties<DateTime>().HaveConversion<UtcTicksConverter>();
        builder.Properties<DateTime?>().HaveConversion<UtcTicksConverter>();
        builder.Properties<Guid>().HaveConversion<GuidBytesConverter>();
        builder.Properties<Guid?>().HaveConversion<GuidBytesConverter>();
        // Enums as text: readable in the database and stable if members are reordered.
        builder.Properties<WebhookScope>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<PayloadFormat>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<SigningScheme>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<EventSource>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<OutcomeKind>().HaveConversion<string>().HaveMaxLength(24);
        builder.Properties<JobStatus>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<AttemptTrigger>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<AttemptErrorKind>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<NotificationKind>().HaveConversion<string>().HaveMaxLength(24);
    }
}
