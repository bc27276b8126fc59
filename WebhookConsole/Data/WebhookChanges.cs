namespace WebhookConsole.Data;

/// <summary>
/// "The webhooks table changed in this process": whoever saves a webhook (the editor's service, the engine
/// disabling one) calls <see cref="Changed"/>; readers that cache webhooks (the ingestion's index) compare
/// <see cref="Version"/> with the one they loaded. Changes made elsewhere are found by the readers' own checks.
/// </summary>
public sealed class WebhookChanges
{
    private long _version;

    public long Version => Interlocked.Read(ref _version);

    public void Changed() => Interlocked.Increment(ref _version);
}
