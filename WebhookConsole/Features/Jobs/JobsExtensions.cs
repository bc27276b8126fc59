namespace WebhookConsole.Features.Jobs;

/// <summary>The jobs console: its service, the bulk operations (Hangfire jobs on the durable lane) and its API.</summary>
public static class JobsExtensions
{
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<JobsService>();
        builder.Services.AddSingleton<BulkOperations>();
        builder.Services.AddTransient<BulkJob>();
        return builder;
    }

    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app) => app.MapJobsApi();
}
