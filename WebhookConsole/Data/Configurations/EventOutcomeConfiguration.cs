using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Configurations;

public class EventOutcomeConfiguration : IEntityTypeConfiguration<EventOutcome>
{
    public void Configure(EntityTypeBuilder<EventOutcome> b)
    {
        b.Property(o => o.WebhookName).HasMaxLength(200);
        // Only the EventId index (the foreign key's) is read: outcomes are always looked up by event. An index
        // per webhook cost a b-tree insert for each of the many outcomes an event writes, and nothing read it.
    }
}
