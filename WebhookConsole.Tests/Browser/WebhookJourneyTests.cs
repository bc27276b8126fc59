using Microsoft.Playwright;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Browser;

/// <summary>Main journeys in real Chromium.</summary>
[Collection(BrowserCollection.Name)]
public class WebhookJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Admin_signs_in_creates_a_webhook_and_finds_it_in_the_list()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/webhooks");
        // Not signed in: the console sends people to the sign-in page and back.
        await page.WaitForURLAsync("**/account/login**");

        await BrowserFixture.SignInAsync(page, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/webhooks$"));
        await page.ClickAsync("[data-testid=new-webhook]");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/webhooks/new$"));
        await BrowserFixture.WaitInteractiveAsync(page);

        var name = "Cleaning submitted " + Guid.NewGuid().ToString("N")[..6];
        await Field(page, "name").FillAsync(name);
        await Field(page, "kapp").FillAsync("services");
        await Field(page, "form").FillAsync("cleaning-request");
        await Field(page, "url").FillAsync("https://task.acme.example/run/${form('slug')}");
        // The filter is typed into Monaco, the real code editor.
        await page.Locator("[data-testid=filter] .view-lines").First.ClickAsync();
        await page.Keyboard.TypeAsync("form('attribute:Custom Submission Workflow').indexOf('Submitted') > -1");
        // Try it runs the unsaved filter against the sample event.
        await page.ClickAsync("[data-testid=try-it-run]");
        await Assertions.Expect(page.Locator("[data-testid=try-it-filter]")).ToContainTextAsync("true");
        await Assertions.Expect(page.Locator("[data-testid=try-it-url]")).ToHaveTextAsync("https://task.acme.example/run/cleaning-request");

        Directory.CreateDirectory("screenshots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/editor.png", FullPage = true });
        await page.ClickAsync("[data-testid=save]");
        try
        {
            // Polled, not awaited as an event: Blazor navigates within the document (pushState), and a wait for the
            // navigation event can miss one that lands as it starts listening. Twice under CI load the page had
            // already shown the saved webhook (screenshot) while WaitForURLAsync waited 30 s for it.
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/webhooks/[0-9a-f-]{36}$"));
        }
        catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
        {
            // Keep what the page showed, so a failure says why.
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/save-timeout.png", FullPage = true });
            var text = await page.Locator("body").InnerTextAsync();
            throw new TimeoutException($"Save did not open the new webhook (screenshots/save-timeout.png). The page showed: {text[..Math.Min(text.Length, 1500)]}", ex);
        }
        await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("Created");

        await page.GotoAsync("/webhooks");
        await BrowserFixture.WaitInteractiveAsync(page);
        await Field(page, "search").FillAsync(name[..22]);
        var row = page.Locator("[data-testid=webhook-name]", new PageLocatorOptions { HasText = name });
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tr", new PageLocatorOptions { Has = row })).ToContainTextAsync("Submission · Submitted · cleaning-request");

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "screenshots/webhooks.png", FullPage = true });
        await page.Context.CloseAsync();
    }

    /// <summary>MudBlazor puts extra attributes on the input itself or on its wrapper, depending on the component.</summary>
    private static ILocator Field(IPage page, string testId) => page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;
}
