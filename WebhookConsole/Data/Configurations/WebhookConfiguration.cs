using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Configurations;

public class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> b)
    {
        b.Property(w => w.Name).HasMaxLength(200);
        b.Property(w => w.NormalizedName).HasMaxLength(200);
        b.Property(w => w.Kapp).HasMaxLength(100);
        b.Property(w => w.Type).HasMaxLength(64);
        b.Property(w => w.Event).HasMaxLength(64);
        b.Property(w => w.Form).HasMaxLength(100);
        b.Property(w => w.Url).HasMaxLength(2048);
        b.Property(w => w.Headers).HasJsonConversion();
        b.Property(w => w.FieldAliases).HasJsonConversion();
        b.Property(w => w.SigningSecret).HasMaxLength(200);
        b.Property(w => w.CallbackSecret).HasMaxLength(200);
        b.Property(w => w.Version).IsConcurrencyToken();
        // Names are unique per scope: per Space, and per kapp inside a Kapp scope.
        b.HasIndex(w => new { w.Scope, w.Kapp, w.NormalizedName }).IsUnique();
        b.HasIndex(w => new { w.Type, w.Event });
    }
}

public class EventConfiguration : IEntityTypeConfiguration<Event>
{
    public void Configure(EntityTypeBuilder<Event> b)
    {
        b.Property(e => e.ClientId).HasMaxLength(200);
        b.Property(e => e.Type).HasMaxLength(64);
        b.Property(e => e.Action).HasMaxLength(64);
        b.Property(e => e.Kapp).HasMaxLength(100);
        b.Property(e => e.Form).HasMaxLength(100);
        b.HasMany(e => e.Outcomes).WithOne().HasForeignKey(o => o.EventId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => e.ReceivedAt);
        b.HasIndex(e => new { e.ClientId, e.ReceivedAt });
        b.HasIndex(e => new { e.Type, e.Action, e.ReceivedAt });
    }
}

public class EventOutcomeConfiguration : IEntityTypeConfiguration<EventOutcome>
{
    public void Configure(EntityTypeBuilder<EventOutcome> b)
    {
        b.Property(o => o.WebhookName).HasMaxLength(200);
        b.HasIndex(o => new { o.WebhookId, o.EventId });
    }
}

public class WebhookJobConfiguration : IEntityTypeConfiguration<WebhookJob>
{
    public void Configure(EntityTypeBuilder<WebhookJob> b)
    {
        b.Property(j => j.WebhookName).HasMaxLength(200);
        b.Property(j => j.EventType).HasMaxLength(64);
        b.Property(j => j.EventAction).HasMaxLength(64);
        b.Property(j => j.Url).HasMaxLength(4096);
        b.Property(j => j.OriginalUrl).HasMaxLength(4096);
        b.Property(j => j.Summary).HasMaxLength(300);
        b.Property(j => j.RequestHeaders).HasJsonConversion();
        b.HasMany(j => j.Attempts).WithOne().HasForeignKey(a => a.JobId).OnDelete(DeleteBehavior.Cascade);
        // The consoles list jobs newest first: per tab (status), per webhook, and all.
        b.HasIndex(j => new { j.CreatedAt, j.Id });
        b.HasIndex(j => new { j.Status, j.CreatedAt, j.Id });
        b.HasIndex(j => new { j.WebhookId, j.CreatedAt, j.Id });
        // The dispatcher's sweep: Pending jobs whose next attempt is due.
        b.HasIndex(j => new { j.Status, j.NextAttemptAt });
        b.HasIndex(j => j.EventId);
    }
}

public class JobAttemptConfiguration : IEntityTypeConfiguration<JobAttempt>
{
    public void Configure(EntityTypeBuilder<JobAttempt> b)
    {
        b.Property(a => a.Url).HasMaxLength(4096);
        b.Property(a => a.TriggeredBy).HasMaxLength(256);
        b.Property(a => a.RequestHeaders).HasJsonConversion();
        b.Property(a => a.ResponseHeaders).HasJsonConversion();
        b.HasIndex(a => new { a.JobId, a.Number }).IsUnique();
    }
}

public class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.Property(a => a.Actor).HasMaxLength(256);
        b.Property(a => a.EntityType).HasMaxLength(64);
        b.Property(a => a.EntityId).HasMaxLength(64);
        b.Property(a => a.EntityName).HasMaxLength(256);
        b.Property(a => a.Action).HasMaxLength(64);
        b.Property(a => a.Changes).HasJsonConversion();
        b.HasIndex(a => a.At);
        b.HasIndex(a => new { a.EntityType, a.At });
    }
}

public class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.Property(k => k.Name).HasMaxLength(200);
        b.Property(k => k.Prefix).HasMaxLength(16);
        b.Property(k => k.Hash).HasMaxLength(64);
        b.Property(k => k.Scopes).HasJsonConversion();
        b.HasIndex(k => k.Hash).IsUnique();
    }
}

public class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> b)
    {
        b.Property(n => n.Title).HasMaxLength(300);
        b.HasIndex(n => new { n.ReadAt, n.At });
    }
}
