using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Configurations;

public class EventOutcomeConfiguration : IEntityTypeConfiguration<EventOutcome>
{
    public void Configure(EntityTypeBuilder<EventOutcome> b)
    {
        b.Property(o => o.WebhookName).HasMaxLength(200);
        b.HasIndex(o => new { o.WebhookId, o.EventId });
    }
}
