using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Configurations;

public class JobAttemptConfiguration : IEntityTypeConfiguration<JobAttempt>
{
    public void Configure(EntityTypeBuilder<JobAttempt> b)
    {
        b.Property(a => a.Url).HasMaxLength(4096);
        b.Property(a => a.TriggeredBy).HasMaxLength(256);
        b.Property(a => a.Instance).HasMaxLength(128);
        b.Property(a => a.RequestHeaders).HasHeaderBlockConversion();
        b.Property(a => a.ResponseHeaders).HasHeaderBlockConversion();
        b.HasIndex(a => new { a.JobId, a.Number }).IsUnique();
        // Text search looks into response bodies; most are empty, and this lets it skip those without reading
        // the attempt rows (which carry the request body too).
        b.HasIndex(a => a.JobId).HasDatabaseName("IX_JobAttempts_JobId_WithResponse").HasFilter("\"ResponseBodyLength\" > 0");
    }
}
