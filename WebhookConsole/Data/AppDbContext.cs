using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Data;

/// <remarks>
/// The model, for every provider. After changing it, add a migration for each provider (README, "Layout"):
/// <c>dotnet ef migrations add Name --project WebhookConsole --context AppDbContext --output-dir Data/Migrations/Sqlite</c>
/// and the same with <c>--context PostgresDbContext --output-dir Data/Migrations/Postgres</c>. A test fails while
/// the model has changes a provider's migrations do not capture.
/// </remarks>
public class AppDbContext : IdentityDbContext<AppUser>, IDataProtectionKeyContext
{
    /// <summary>The embedded default, SQLite: its migrations are <c>Data/Migrations/Sqlite</c>.</summary>
    public AppDbContext(DbContextOptions<AppDbContext> options) : base(options)
    {
    }

    /// <summary>For a provider's own context type, which owns that provider's migrations (<c>Data/Postgres/PostgresDbContext</c>).</summary>
    protected AppDbContext(DbContextOptions options) : base(options)
    {
    }

    /// <summary>
    /// Ids as their 16 bytes where the database has no uuid type (SQLite); PostgreSQL stores its own <c>uuid</c>,
    /// which compares the same bytes in the same (big-endian) order.
    /// </summary>
    protected virtual bool GuidsAsBytes => true;

    /// <summary>
    /// Payload texts (bodies, event contexts) compressed against the platform's dictionary where the database keeps
    /// them as they come (SQLite): <see cref="PayloadText"/>. PostgreSQL compresses large values itself, and its
    /// search reads them in SQL.
    /// </summary>
    protected virtual bool PayloadsCompressed => true;

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
    public DbSet<DeliveryMinute> DeliveryMinutes => Set<DeliveryMinute>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
        if (PayloadsCompressed)
        {
            // Still TEXT columns: rows written before were text, and SQLite keeps a blob in a TEXT column as it is.
            foreach (var (entity, name) in new[]
                     {
                         (typeof(WebhookJob), nameof(WebhookJob.RequestBody)), (typeof(WebhookJob), nameof(WebhookJob.OriginalRequestBody)),
                         (typeof(JobAttempt), nameof(JobAttempt.RequestBody)), (typeof(Event), nameof(Event.ContextJson)),
                     })
            {
                builder.Entity(entity).Property(name).HasConversion(new PayloadTextConverter()).HasColumnType("TEXT");
            }
            builder.HasDbFunction(typeof(PayloadText).GetMethod(nameof(PayloadText.Text), [typeof(string)])!).HasName(PayloadText.SqlFunction);
            builder.HasDbFunction(typeof(PayloadText).GetMethod(nameof(PayloadText.Contains), [typeof(string), typeof(string)])!).HasName(PayloadText.SqlContains);
        }
    }

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        base.OnConfiguring(optionsBuilder);
        if (PayloadsCompressed) optionsBuilder.AddInterceptors(PayloadTextFunction.Instance);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Dates as UTC ticks on every provider: exact to the tick (PostgreSQL's timestamps keep microseconds, and a
        // lease compared with the value it was written with must be equal), the same order, 8 bytes. On SQLite, ids
        // as 16 bytes: a third of a delivery's bytes on disk were these two as text.
        builder.Properties<DateTime>().HaveConversion<UtcTicksConverter>();
        builder.Properties<DateTime?>().HaveConversion<UtcTicksConverter>();
        if (GuidsAsBytes)
        {
            builder.Properties<Guid>().HaveConversion<GuidBytesConverter>();
            builder.Properties<Guid?>().HaveConversion<GuidBytesConverter>();
        }
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
