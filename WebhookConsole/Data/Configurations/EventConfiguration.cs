using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Configurations;

public class EventConfiguration : IEntityTypeConfiguration<Event>
{
    public void Configure(EntityTypeBuilder<Event> b)
    {
        b.Property(e => e.ClientId).HasMaxLength(200);
        b.Property(e => e.Type).HasMaxLength(64);
        b.Property(e => e.Action).HasMaxLength(64);
        b.Property(e => e.Kapp).HasMaxLength(100);
        b.Property(e => e.Form).HasMaxLength(100);
        b.Property(e => e.FilteredOut).HasPackedConversion();
        b.HasMany(e => e.Outcomes).WithOne().HasForeignKey(o => o.EventId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => e.ReceivedAt);
        b.HasIndex(e => new { e.ClientId, e.ReceivedAt });
        b.HasIndex(e => new { e.Type, e.Action, e.ReceivedAt });
    }
}
