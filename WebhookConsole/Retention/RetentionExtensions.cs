using Hangfire;
using Microsoft.Extensions.Options;

namespace WebhookConsole.Retention;

public static class RetentionExtensions
{
    /// <summary>The purge and its recurring job on the durable lane (Hangfire), every <c>Retention:IntervalMinutes</c>.</summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<RetentionOptions>(builder.Configuration.GetSection("Retention"));
        builder.Services.AddSingleton<RetentionService>();
        builder.Services.AddTransient<RetentionJob>();
        builder.Services.AddHostedService<RetentionJobRegistration>();
        return builder;
    }

    /// <summary>Registers the recurring job at every start, so a new or rebuilt Hangfire file has it at once.</summary>
    private sealed class RetentionJobRegistration(IRecurringJobManager recurring, IOptions<RetentionOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            recurring.AddOrUpdate<RetentionJob>(RetentionJob.Id, j => j.PurgeAsync(CancellationToken.None), RetentionJob.Cron(options.Value.IntervalMinutes));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The durable lane's recurring job <c>retention-purge</c>.</summary>
public sealed class RetentionJob(RetentionService retention)
{
    public const string Id = "retention-purge";

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(600)]
    public async Task<string> PurgeAsync(CancellationToken ct)
    {
        var result = await retention.PurgeAsync(ct);
        return $"purged {result.Jobs} jobs and {result.Events} events";
    }

    internal static string Cron(int minutes) => minutes switch
    {
        <= 1 => Hangfire.Cron.Minutely(),
        < 60 => Hangfire.Cron.MinuteInterval(minutes),
        _ => Hangfire.Cron.HourInterval(Math.Min(23, minutes / 60)),
    };
}
