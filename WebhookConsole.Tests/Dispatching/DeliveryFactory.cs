using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>The console with its dispatcher on, a fast retry schedule, and loopback receivers allowed.</summary>
public class DeliveryFactory : ConsoleFactory
{
    public DeliveryFactory()
    {
    }

    protected DeliveryFactory(string directory) : base(directory)
    {
    }

    protected override bool DispatchEnabled => true;
    protected virtual bool AllowLoopback => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (AllowLoopback) builder.UseSetting("Dispatch:AllowedPrivateNetworks:0", "127.0.0.0/8");
        builder.UseSetting("Dispatch:RetryDelaysSeconds:0", "0");
        builder.UseSetting("Dispatch:RetryDelaysSeconds:1", "1");
        builder.UseSetting("Dispatch:RetryDelaysSeconds:2", "1");
        builder.UseSetting("Dispatch:RetryJitter", "0");
        builder.UseSetting("Dispatch:MaxRetryAfterSeconds", "3");
        builder.UseSetting("Dispatch:DisableAfterConsecutiveFailures", "3");
    }

    public async Task<WebhookView> CreateWebhookAsync(string url, string? secretScheme = "none", string? secret = null, bool asyncAck = false, int timeoutSeconds = 2, string? kapp = null, List<HeaderInput>? headers = null)
    {
        await using var scope = Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<WebhookService>().CreateAsync(Actor.System, new WebhookInput
        {
            Name = "hook " + Guid.NewGuid().ToString("N")[..8], Scope = "Kapp", Kapp = kapp ?? "k" + Guid.NewGuid().ToString("N")[..10],
            Type = "Submission", Event = "Submitted", Url = url, Signing = new SigningInput(secretScheme, secret),
            AsyncAck = asyncAck, TimeoutSeconds = timeoutSeconds, Headers = headers,
        });
        Assert.True(result.Status == SaveStatus.Ok, result.Message + string.Join(";", result.Errors?.SelectMany(e => e.Value) ?? []));
        return result.Webhook!;
    }

    /// <summary>Posts a Submission event for the webhook's kapp and returns the job it fired.</summary>
    public async Task<Guid> FireAsync(WebhookView webhook, string room = "B12")
    {
        var (valid, error) = EventValidator.Validate(new EventInput
        {
            Type = "Submission", Action = "Submitted", Kapp = webhook.Kapp, Form = "cleaning-request",
            Context = System.Text.Json.JsonSerializer.SerializeToElement(new { submission = new { id = "s-1", values = new { Room = room } } }),
        }, DateTime.UtcNow);
        Assert.Null(error);
        var reply = await Services.GetRequiredService<EventProcessor>().ProcessAsync(valid!);
        return Assert.Single(reply.Jobs).Id;
    }

    public async Task<WebhookJob> JobAsync(Guid id)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.WebhookJobs.AsNoTracking().Include(j => j.Attempts).FirstAsync(j => j.Id == id);
    }

    public Task<WebhookJob> WaitForJobAsync(Guid id, Func<WebhookJob, bool> done, string what, int seconds = 20) =>
        Eventually.WaitAsync(() => JobAsync(id), done, TimeSpan.FromSeconds(seconds), what);

    public async Task<Webhook> WebhookAsync(Guid id)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Webhooks.AsNoTracking().FirstAsync(w => w.Id == id);
    }
}

/// <summary>The same console on PostgreSQL: a database of its own on the tests' server.</summary>
public sealed class PostgresDeliveryFactory : DeliveryFactory
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>A console on a given folder, so that another one can be started on the same files after it (a restart).</summary>
public sealed class RestartableDeliveryFactory(string directory) : DeliveryFactory(directory);

/// <summary>No allow-list: the SSRF guard as in production.</summary>
public sealed class StrictDeliveryFactory : DeliveryFactory
{
    protected override bool AllowLoopback => false;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Even an allow-list that covers it never lets the metadata address through.
        builder.UseSetting("Dispatch:AllowedPrivateNetworks:0", "169.254.0.0/16");
    }
}
