using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Webhooks;

/// <summary>
/// A change to a webhook and the engine's disabling of it meet at the same row (RetrySafetyTests met it by chance: the
/// third failure disabled the webhook while the test moved it). An edit that names the version it was made on is
/// refused when another change landed first; one that does not is applied on top of the latest.
/// </summary>
public class WebhookRaceTests(WebhookRaceTests.RacingFactory factory) : IClassFixture<WebhookRaceTests.RacingFactory>
{
    [Fact]
    public async Task An_update_without_a_version_is_applied_on_top_of_a_change_that_landed_between_its_read_and_save()
    {
        var id = await CreateAsync("Unversioned");

        factory.Interceptor.Arm(id);
        var saved = await UpdateAsync(id, new WebhookInput { Url = "https://r.example/moved", Enabled = true });

        Assert.True(factory.Interceptor.Disabled, "the interceptor disabled the webhook between the service's read and save");
        Assert.Equal(SaveStatus.Ok, saved.Status);
        var w = await WebhookAsync(id);
        Assert.Equal("https://r.example/moved", w.Url);
        Assert.True(w.Enabled);
        Assert.Equal(3, w.Version); // created 1, disabled by the system 2, this update 3
    }

    [Fact]
    public async Task An_update_made_on_a_version_is_refused_when_another_change_landed_first()
    {
        var id = await CreateAsync("Versioned");

        factory.Interceptor.Arm(id);
        var saved = await UpdateAsync(id, new WebhookInput { Url = "https://r.example/moved", Enabled = true, Version = 1 });

        Assert.Equal(SaveStatus.Conflict, saved.Status);
        var w = await WebhookAsync(id);
        Assert.Equal("https://r.example/hook", w.Url);
        Assert.False(w.Enabled);
    }

    private async Task<Guid> CreateAsync(string name)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<WebhookService>().CreateAsync(Actor.System, new WebhookInput
        {
            Name = name, Type = "Submission", Event = "Submitted", Scope = "Kapp", Kapp = "race", Url = "https://r.example/hook", Enabled = true,
            Signing = new SigningInput("none", null),
        });
        Assert.Equal(SaveStatus.Ok, created.Status);
        return created.Webhook!.Id;
    }

    private async Task<SaveResult> UpdateAsync(Guid id, WebhookInput input)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<WebhookService>().UpdateAsync(Actor.System, id, input);
    }

    private async Task<Webhook> WebhookAsync(Guid id)
    {
        await using var db = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == id);
    }

    public sealed class RacingFactory : ConsoleFactory
    {
        public DisableBeforeSave Interceptor { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.AddSingleton<IInterceptor>(sp =>
            {
                Interceptor.Services = sp;
                return Interceptor;
            }));
        }
    }

    /// <summary>Once armed, disables the webhook as the engine does (a new version) just before the next save of it.</summary>
    public sealed class DisableBeforeSave : SaveChangesInterceptor
    {
        private Guid? _armed;

        public IServiceProvider? Services { get; set; }

        public bool Disabled { get; private set; }

        public void Arm(Guid webhookId)
        {
            _armed = webhookId;
            Disabled = false;
        }

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
        {
            if (_armed is { } id && eventData.Context!.ChangeTracker.Entries<Webhook>().Any(e => e.Entity.Id == id && e.State == EntityState.Modified))
            {
                _armed = null;
                await using var other = await Services!.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
                await other.Webhooks.Where(w => w.Id == id).ExecuteUpdateAsync(s => s
                    .SetProperty(w => w.Enabled, false).SetProperty(w => w.DisabledReason, "3 failures in a row")
                    .SetProperty(w => w.UpdatedBy, "system").SetProperty(w => w.Version, w => w.Version + 1), ct);
                Disabled = true;
            }
            return result;
        }
    }
}
