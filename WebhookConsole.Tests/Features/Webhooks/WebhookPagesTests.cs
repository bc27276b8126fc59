using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Filtering;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Webhooks;

public class WebhookPagesTests : MudTestContext
{
    private readonly TestDatabase _db = new();

    public WebhookPagesTests()
    {
        Services.AddSingleton<IDbContextFactory<AppDbContext>>(_db);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IFilterEvaluator>(new JintFilterEvaluator(Options.Create(new FilteringOptions())));
        Services.AddSingleton<WebhookValidator>();
        Services.AddSingleton<TryItService>();
        Services.AddSingleton<AuditLog>();
        Services.AddSingleton<WebhookConsole.Events.WebhookIndex>();
        Services.AddSingleton<WebhookConsole.Dispatching.RecoverySignal>();
        Services.AddSingleton(_secrets);
        Services.AddScoped<WebhookService>();
        Services.AddSingleton<WebhookConsole.Dispatching.TestDelivery>();
        Services.AddSingleton<WebhookConsole.Dispatching.IDeliveryQueue, HeldDeliveryQueue>();
        Services.AddSingleton<WebhookConsole.Features.Jobs.JobsService>();
    }

    private readonly WebhookConsole.Security.SecretProtector _secrets = new(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider());

    private void SignIn(string role)
    {
        var auth = AddAuthorization();
        auth.SetAuthorized($"{role.ToLowerInvariant()}@test.local");
        auth.SetRoles(role);
        RenderProviders();
    }

    private async Task<Guid> SeedWebhookAsync(string name = "Existing hook")
    {
        // Built by hand: touching the bUnit container before rendering would freeze its registrations.
        var filters = new JintFilterEvaluator(Options.Create(new FilteringOptions()));
        var service = new WebhookService(_db, new WebhookValidator(filters), new AuditLog(TimeProvider.System), new WebhookConsole.Events.WebhookIndex(_db, TimeProvider.System), new WebhookConsole.Dispatching.RecoverySignal(),
            _secrets, TimeProvider.System);
        var result = await service.CreateAsync(Actor.System, new WebhookInput
        {
            Name = name, Scope = "Space", Type = "User", Event = "Created", Url = "https://receiver.example/users",
            Signing = new SigningInput("none", null),
        });
        Assert.Equal(SaveStatus.Ok, result.Status);
        return result.Webhook!.Id;
    }

    [Fact]
    public void Editor_shows_each_error_next_to_its_field_and_saves_nothing()
    {
        SignIn(Roles.Admin);
        var cut = Render<WebhookEditor>();

        cut.Find("input[data-testid=url], [data-testid=url] input").Change("ftp://wrong.example");
        cut.Find("[data-testid=add-header]").Click();
        cut.Find("input[data-testid=header-name-0], [data-testid=header-name-0] input").Change("Host");
        cut.Find("[data-testid=save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("The webhook has errors", cut.Find("[data-testid=save-error]").TextContent));
        Assert.Contains("Give the webhook a name.", cut.Markup);
        Assert.Contains("A Kapp-scoped webhook needs the kapp", cut.Markup);
        Assert.Contains("Enter an absolute http:// or https:// URL", cut.Markup);
        Assert.Contains("Host is set by the console itself", cut.Markup);
        using var db = _db.CreateDbContext();
        Assert.Empty(db.Webhooks);
    }

    [Fact]
    public void Editor_reports_a_filter_syntax_error_with_its_position()
    {
        SignIn(Roles.Admin);
        var cut = Render<WebhookEditor>();
        cut.Find("input[data-testid=name], [data-testid=name] input").Change("With a broken filter");
        cut.Find("input[data-testid=kapp], [data-testid=kapp] input").Change("services");
        cut.Find("input[data-testid=url], [data-testid=url] input").Change("https://receiver.example/x");
        // The Monaco editor is JavaScript; drive its component's callback as the editor would.
        var editor = cut.FindComponent<WebhookConsole.Components.Shared.CodeEditor>();
        cut.InvokeAsync(() => editor.Instance.ValueChanged.InvokeAsync("form('slug' ==="));

        cut.WaitForAssertion(() => Assert.Contains("Syntax error at line 1", cut.Find("[data-testid=filter-error]").TextContent));
        cut.Find("[data-testid=save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("The webhook has errors", cut.Markup));
        using var db = _db.CreateDbContext();
        Assert.Empty(db.Webhooks);
    }

    [Fact]
    public void Editor_creates_a_valid_webhook()
    {
        SignIn(Roles.Admin);
        var cut = Render<WebhookEditor>();
        cut.Find("input[data-testid=name], [data-testid=name] input").Change("Valid one");
        cut.Find("input[data-testid=kapp], [data-testid=kapp] input").Change("services");
        cut.Find("input[data-testid=url], [data-testid=url] input").Change("https://receiver.example/x");
        cut.Find("[data-testid=save]").Click();

        cut.WaitForAssertion(() =>
        {
            using var db = _db.CreateDbContext();
            var saved = Assert.Single(db.Webhooks);
            Assert.Equal("Valid one", saved.Name);
            // Generated by the editor, stored encrypted.
            Assert.StartsWith(WebhookConsole.Security.SecretProtector.Prefix, saved.SigningSecret);
            Assert.StartsWith("whsec_", _secrets.Reveal(saved.SigningSecret));
        });
    }

    [Fact]
    public async Task Support_sees_the_editor_read_only_without_save()
    {
        var id = await SeedWebhookAsync();
        SignIn(Roles.Support);
        var cut = Render<WebhookEditor>(p => p.Add(e => e.Id, id));

        cut.WaitForAssertion(() => Assert.Contains("Read only: your role cannot change webhooks", cut.Markup));
        Assert.Empty(cut.FindAll("[data-testid=save]"));
        Assert.Empty(cut.FindAll("[data-testid=add-header]"));
        Assert.Empty(cut.FindAll("[data-testid=generate-secret]"));
    }

    [Fact]
    public async Task Webhooks_list_hides_changes_from_support()
    {
        await SeedWebhookAsync("Visible to support");
        SignIn(Roles.Support);
        var cut = Render<WebhooksPage>();

        cut.WaitForAssertion(() => Assert.Contains("Visible to support", cut.Find("[data-testid=webhook-name]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=new-webhook]"));
        Assert.Empty(cut.FindAll("[data-testid=row-actions]"));
    }

    [Fact]
    public async Task Webhooks_list_offers_changes_to_admins()
    {
        await SeedWebhookAsync("Admin sees actions");
        SignIn(Roles.Admin);
        var cut = Render<WebhooksPage>();

        cut.WaitForAssertion(() => Assert.Contains("Admin sees actions", cut.Find("[data-testid=webhook-name]").TextContent));
        Assert.NotEmpty(cut.FindAll("[data-testid=new-webhook]"));
        Assert.NotEmpty(cut.FindAll("[data-testid=row-actions]"));
    }

    [Fact]
    public void Webhooks_list_has_an_empty_state()
    {
        SignIn(Roles.Admin);
        var cut = Render<WebhooksPage>();
        cut.WaitForAssertion(() => Assert.Contains("No webhooks yet", cut.Markup));
    }


    protected override Task OnDisposedAsync()
    {
        _db.Dispose();
        return Task.CompletedTask;
    }
}
