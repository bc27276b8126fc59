using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Data;

/// <summary>Every pooled connection runs with the configured durability, not only the one that set up the file.</summary>
public sealed class SqliteSettingsTests : IDisposable
{
    private readonly ConsoleFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private static async Task<long> SynchronousAsync(IServiceProvider services)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        // Several contexts at once, so the pool hands out more than one native connection.
        var open = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => contexts.CreateDbContextAsync()));
        try
        {
            var values = new List<long>();
            foreach (var db in open)
            {
                await db.Database.OpenConnectionAsync();
                values.Add(await db.Database.SqlQueryRaw<long>("SELECT synchronous AS \"Value\" FROM pragma_synchronous").SingleAsync());
            }
            return Assert.Single(values.Distinct());
        }
        finally
        {
            foreach (var db in open) await db.DisposeAsync();
        }
    }

    [Fact]
    public async Task Connections_sync_at_checkpoints_by_default()
    {
        _ = _factory.Server;
        Assert.Equal(1, await SynchronousAsync(_factory.Services)); // NORMAL
    }

    [Fact]
    public async Task Full_durability_can_be_chosen()
    {
        await using var full = _factory.WithWebHostBuilder(b => b.UseSetting("Database:Synchronous", "Full"));
        _ = full.Server;
        Assert.Equal(2, await SynchronousAsync(full.Services)); // FULL
    }

    [Fact]
    public void A_wrong_value_stops_the_start_with_what_to_write()
    {
        using var wrong = _factory.WithWebHostBuilder(b => b.UseSetting("Database:Synchronous", "fast"));
        var ex = Assert.ThrowsAny<Exception>(() => wrong.Server);
        Assert.Contains("use Normal (the default) or Full", ex.ToString());
    }
}
