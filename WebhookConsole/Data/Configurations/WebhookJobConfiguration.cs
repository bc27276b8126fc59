using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Data.Configurations;

public class WebhookJobConfiguration : IEntityTypeConfiguration<WebhookJob>
{
    /// <summary>The condition of the partial status indexes.</summary>
    public const string Unfinished = "\"Status\" <> 'Succeeded'";

    public void Configure(EntityTypeBuilder<WebhookJob> b)
    {
        b.Property(j => j.WebhookName).HasMaxLength(200);
        b.Property(j => j.EventType).HasMaxLength(64);
        b.Property(j => j.EventAction).HasMaxLength(64);
        b.Property(j => j.Url).HasMaxLength(4096);
        b.Property(j => j.OriginalUrl).HasMaxLength(4096);
        b.Property(j => j.Summary).HasMaxLength(300);
        b.Property(j => j.PendingTriggeredBy).HasMaxLength(256);
        b.Property(j => j.RequestHeaders).HasHeaderBlockConversion();
        // A person's change to a job (retry, edited retry, abandon, a receiver's callback) is read, checked against
        // the rules and saved; the engine leases and records between those steps without asking. These three are
        // what the engine changes, so a tracked save applies only to the job as it was read: one that an attempt
        // took up or recorded meanwhile fails (DbUpdateConcurrencyException, a 409 to the person) instead of
        // being overwritten by that attempt's record a moment later.
        b.Property(j => j.Status).IsConcurrencyToken();
        b.Property(j => j.AttemptCount).IsConcurrencyToken();
        b.Property(j => j.LeaseUntil).IsConcurrencyToken();
        b.HasMany(j => j.Attempts).WithOne().HasForeignKey(a => a.JobId).OnDelete(DeleteBehavior.Cascade);
        // The consoles list jobs newest first: per tab (status), per webhook, and all.
        b.HasIndex(j => new { j.CreatedAt, j.Id });
        // The status indexes hold only the jobs that did not succeed (a few in a hundred): the Succeeded tab reads
        // the CreatedAt index, where nearly every row matches, and the others find their few rows here. Whole, these
        // two were an eighth of a delivery's bytes, and every delivery moved its entry from one key to another.
        // A query uses them only when it states the condition too (JobsService.Filter).
        b.HasIndex(j => new { j.Status, j.CreatedAt, j.Id }).HasFilter(Unfinished);
        b.HasIndex(j => new { j.WebhookId, j.CreatedAt, j.Id });
        // Failures (or any tab) of one webhook: without status in the key, a page reads every row of the
        // webhook until enough match.
        b.HasIndex(j => new { j.WebhookId, j.Status, j.CreatedAt, j.Id }).HasFilter(Unfinished);
        // The dispatcher's sweep: Pending jobs whose next attempt is due. Partial: a delivered job leaves it
        // (one delete) instead of moving to a (Succeeded, null) key (a delete and an insert on every delivery),
        // and it holds only what is waiting, not the whole history. Status leads the key although it is always
        // Pending, so that SQLite prefers this index (equality and a range) to the Status/CreatedAt one.
        b.HasIndex(j => new { j.Status, j.NextAttemptAt, j.Id }).HasDatabaseName("IX_WebhookJobs_Pending_NextAttemptAt_Id").HasFilter("\"Status\" = 'Pending'");
        b.HasIndex(j => j.EventId);
    }
}
