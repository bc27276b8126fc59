using System.Net;
using System.Text.RegularExpressions;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>The sign-in form as a browser posts it: the page's antiforgery fields plus the e-mail and password.</summary>
public static partial class SignInForm
{
    [GeneratedRegex("name=\"(?<name>__RequestVerificationToken|_handler)\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenField();

    public static async Task<Dictionary<string, string>> FieldsAsync(HttpClient client, string email, string password)
    {
        var page = await client.GetStringAsync("/account/login");
        var fields = HiddenField().Matches(page).ToDictionary(m => m.Groups["name"].Value, m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        fields["Input.Email"] = email;
        fields["Input.Password"] = password;
        return fields;
    }

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string email, string password) =>
        await client.PostAsync("/account/login", new FormUrlEncodedContent(await FieldsAsync(client, email, password)));
}
