using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Configurations;

public class DeliveryMinuteConfiguration : IEntityTypeConfiguration<DeliveryMinute>
{
    public void Configure(EntityTypeBuilder<DeliveryMinute> b)
    {
        // The overview reads a range of minutes for all webhooks; a webhook's page, one webhook's range.
        b.HasKey(m => new { m.Minute, m.WebhookId });
        b.HasIndex(m => new { m.WebhookId, m.Minute });
    }
}
