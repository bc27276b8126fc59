namespace WebhookConsole.Data.Entities;

/// <summary>
/// Recorded attempts of one webhook in one minute, by what they led to: the overview's and the webhook page's charts
/// read these (a day is 1,440 rows a webhook) instead of counting attempts. Written in the transaction that records
/// the attempts (<c>Dispatching/Ledger/MinuteTally</c>); test deliveries are not counted.
/// </summary>
public class DeliveryMinute
{
    /// <summary>Minutes since 1970-01-01 UTC: the same number on every provider.</summary>
    public long Minute { get; set; }
    public Guid WebhookId { get; set; }
    /// <summary>Attempts that delivered (a 2xx, or a receiver's acknowledgement).</summary>
    public int Succeeded { get; set; }
    /// <summary>Attempts that ended their job as Failed.</summary>
    public int Failed { get; set; }
    /// <summary>Attempts that failed with a retry scheduled.</summary>
    public int Retried { get; set; }

    public static long MinuteOf(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMinute;

    public static DateTime StartOf(long minute) => new(DateTime.UnixEpoch.Ticks + minute * TimeSpan.TicksPerMinute, DateTimeKind.Utc);
}
