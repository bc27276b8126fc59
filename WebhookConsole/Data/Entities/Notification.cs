namespace WebhookConsole.Data.Entities;

public enum NotificationKind { WebhookDisabled, FailureSpike }

public class Notification
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public NotificationKind Kind { get; set; }
    public string Title { get; set; } = "";
    public string Message { get; set; } = "";
    public Guid? WebhookId { get; set; }
    public DateTime? ReadAt { get; set; }
}
