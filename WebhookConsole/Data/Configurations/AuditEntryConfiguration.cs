using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Configurations;

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
