using System.Text;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebhookConsole.Features.Inspector;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Features.Inspector;

public class InspectorPageTests : MudTestContext
{
    private readonly InspectorStore _store = new(Options.Create(new InspectorOptions { Enabled = true }), TimeProvider.System);

    public InspectorPageTests()
    {
        Services.AddSingleton(_store);
        var auth = AddAuthorization();
        auth.SetAuthorized("support@test.local");
        auth.SetRoles(Roles.Support);
        RenderProviders();
    }

    [Fact]
    public void Credentials_that_reached_a_bin_are_masked_on_the_page()
    {
        var bin = _store.Create("demo", "support@test.local");
        _store.Record(bin, "POST", "/inspect/demo",
        [
            new("Authorization", "Bearer tok_live_123456"), new("Cookie", "session=abcdef"), new("X-Api-Key", "ak_987"),
            new("webhook-signature", "v1,c2lnbmF0dXJl"), new("X-Team", "facilities"),
        ], Encoding.UTF8.GetBytes("{\"room\":\"B12\"}"), 14, "127.0.0.1");

        var cut = Render<InspectorPage>();
        cut.Find("[data-testid=bin-request]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=bin-header-value]")));
        var values = cut.FindAll("[data-testid=bin-header-value]").Select(v => v.TextContent.Trim()).ToList();
        Assert.Contains("Bearer ••••", values);
        Assert.Contains("facilities", values);
        Assert.Contains("v1,c2lnbmF0dXJl", values); // signatures stay readable, for debugging them
        Assert.DoesNotContain("tok_live", cut.Markup);
        Assert.DoesNotContain("abcdef", cut.Markup);
        Assert.DoesNotContain("ak_987", cut.Markup);
        Assert.Contains("B12", cut.Markup);
    }

    [Fact]
    public void A_new_bin_is_created_by_the_signed_in_user()
    {
        var cut = Render<InspectorPage>();
        Assert.NotNull(cut.Find("[data-testid=no-bins]"));
        cut.Find("input[data-testid=new-bin], [data-testid=new-bin] input").Change("orders");
        cut.Find("[data-testid=create-bin]").Click();
        cut.WaitForAssertion(() => Assert.Equal("support@test.local", _store.Find("orders")?.CreatedBy));
    }

    [Fact]
    public void The_page_says_its_bins_belong_to_this_instance() =>
        Assert.Contains("each has bins of its own", Render<InspectorPage>().Markup);
}
