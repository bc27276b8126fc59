using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace WebhookConsole.Bench;

/// <summary>Events and webhooks shaped like a Kinetic platform's: a submitted form with attributes and values.</summary>
public static class BenchEvents
{
    public const string Secret = "whsec_YmVuY2gtc2lnbmluZy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg==";
    public const string Filter = "form('attribute:Custom Submission Workflow').indexOf('Submitted') > -1";

    public static JsonObject Context(int seq, int route) => new()
    {
        ["space"] = new JsonObject { ["slug"] = "acme", ["name"] = "Acme Corp" },
        ["kapp"] = new JsonObject { ["slug"] = "services", ["name"] = "Services" },
        ["form"] = new JsonObject
        {
            ["slug"] = "bench", ["name"] = "Benchmark request",
            ["attributes"] = new JsonObject
            {
                ["Custom Submission Workflow"] = new JsonArray("Submitted", "Closed"),
                ["Owning Team"] = new JsonArray("Facilities"),
            },
        },
        ["submission"] = new JsonObject
        {
            ["id"] = $"sub-{seq:D9}", ["handle"] = $"{seq:X6}", ["coreState"] = "Submitted", ["submittedBy"] = "jane.doe@acme.test",
            ["values"] = new JsonObject
            {
                ["Route"] = route.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Seq"] = seq.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Requested For"] = "Jane Doe", ["Location"] = "Building 4, floor 2", ["Priority"] = "Normal",
                ["Details"] = "The badge reader at the east entrance blinks red and refuses every badge since this morning; please send someone before the afternoon shift.",
            },
        },
        ["user"] = new JsonObject { ["username"] = "jane.doe@acme.test", ["displayName"] = "Jane Doe" },
    };

    public static JsonObject Event(string idPrefix, int seq, string form, int route = 0, string type = "Submission", string action = "Submitted") => new()
    {
        ["id"] = $"{idPrefix}-{seq}", ["type"] = type, ["action"] = action, ["kapp"] = "services", ["form"] = form,
        ["context"] = Context(seq, route),
    };

    public static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>Creates a webhook through the API; returns its id.</summary>
    public static async Task<Guid> CreateWebhookAsync(HttpClient api, string name, string form, string filter, string url)
    {
        var response = await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name, scope = "Kapp", kapp = "services", form, type = "Submission", @event = "Submitted", url, filter,
            signing = new { scheme = "standard", secret = Secret }, timeoutSeconds = 10,
        });
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Creating webhook {name}: {(int)response.StatusCode} {text}");
        return Guid.Parse(JsonNode.Parse(text)!["id"]!.GetValue<string>());
    }
}
