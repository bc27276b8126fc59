namespace WebhookConsole.Features.Audit;

/// <summary>The audit page's reader (the log itself is written through <see cref="Auditing.AuditLog"/>).</summary>
public static class AuditExtensions
{
    public static IHostApplicationBuilder AddAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<AuditQuery>();
        return builder;
    }
}
