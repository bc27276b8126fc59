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
        b.Property(w => w.SigningSecret).HasMaxLength(1000); // Data Protection ciphertext, not the secret itself
        b.Property(w => w.CallbackSecret).HasMaxLength(1000);
        b.Property(w => w.Version).IsConcurrencyToken();
        b.Property(w => w.SigningPublicKey).HasMaxLength(100);
        // Names are unique per scope: per Space, and per kapp inside a Kapp scope.
        b.HasIndex(w => new { w.Scope, w.Kapp, w.NormalizedName }).IsUnique();
        b.HasIndex(w => new { w.Type, w.Event });
    }
}
