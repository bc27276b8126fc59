using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WebhookConsole.Data.Postgres;

public static class PostgresExtensions
{
    /// <summary>
    /// The data layer on PostgreSQL: every <see cref="AppDbContext"/> the console asks for is a
    /// <see cref="PostgresDbContext"/> on one pooled Npgsql data source.
    /// </summary>
    public static IHostApplicationBuilder AddPostgres(this IHostApplicationBuilder builder, string connectionString)
    {
        var services = builder.Services;
        services.AddDbContextFactory<PostgresDbContext>((sp, o) => o.UseNpgsql(connectionString)
            .AddInterceptors(sp.GetServices<IInterceptor>()));
        services.AddSingleton<IDbContextFactory<AppDbContext>>(sp => new AsAppDbContext(sp.GetRequiredService<IDbContextFactory<PostgresDbContext>>()));
        services.AddScoped<AppDbContext>(sp => sp.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext());
        services.AddHostedService<PostgresSearchIndexer>();
        return builder;
    }

    private sealed class AsAppDbContext(IDbContextFactory<PostgresDbContext> inner) : IDbContextFactory<AppDbContext>
    {
        public AppDbContext CreateDbContext() => inner.CreateDbContext();

        public async Task<AppDbContext> CreateDbContextAsync(CancellationToken ct = default) => await inner.CreateDbContextAsync(ct);
    }
}
