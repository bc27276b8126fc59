using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>
/// The console's own build started as a process of its own (Production environment, loopback receivers allowed),
/// for tests that kill it with SIGKILL or run several: what a user runs, not a test host.
/// </summary>
public static class ConsoleProcess
{
    /// <summary>The database settings of a console on a SQLite file.</summary>
    public static Dictionary<string, string> Sqlite(string path) => new() { ["ConnectionStrings__Console"] = $"Data Source={path}" };

    /// <summary>The database settings of a console on PostgreSQL.</summary>
    public static Dictionary<string, string> Postgres(string connectionString) =>
        new() { ["Database__Provider"] = "Postgres", ["ConnectionStrings__Console"] = connectionString };

    public static Process Start(ITestOutputHelper output, string url, Dictionary<string, string> database, string apiKey, string? name = null)
    {
        var app = AppPath();
        var info = new ProcessStartInfo("dotnet", [app])
        {
            WorkingDirectory = Path.GetDirectoryName(app)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_URLS"] = url;
        info.Environment["Seed__AdminPassword"] = "Admin-Passw0rd!";
        info.Environment["Seed__ApiKey"] = apiKey;
        info.Environment["Dispatch__AllowedPrivateNetworks__0"] = "127.0.0.0/8";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in database) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var prefix = name is null ? "" : $"[{name}] ";
        void Log(string? line)
        {
            if (line is null) return;
            try { output.WriteLine(prefix + line); } catch (InvalidOperationException) { }
        }
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static async Task WaitReadyAsync(HttpClient api, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new Xunit.Sdk.XunitException($"The console exited with code {process.ExitCode} during start-up.");
            try
            {
                if ((await api.GetAsync("/api/v1/catalog")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException("The console did not start within 90 s.");
    }

    public static async Task<string> CreateWebhookAsync(HttpClient api, string name, string kapp, string url, int timeoutSeconds)
    {
        var created = await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name, scope = "Kapp", kapp, type = "Submission", @event = "Submitted", url,
            signing = new { scheme = "standard", secret = "whsec_" + Convert.ToBase64String(new byte[32]) }, timeoutSeconds,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }

    /// <summary>Posts <paramref name="count"/> events for the kapp, a thousand per batch (the last one smaller).</summary>
    public static async Task PostEventsAsync(HttpClient api, string kapp, string idPrefix, int count)
    {
        for (var batch = 0; batch * 1000 < count; batch++)
        {
            var size = Math.Min(1000, count - batch * 1000);
            var events = new JsonArray(Enumerable.Range(0, size).Select(i => (JsonNode)new JsonObject
            {
                ["type"] = "Submission", ["action"] = "Submitted", ["kapp"] = kapp, ["id"] = $"{idPrefix}-{batch}-{i}",
            }).ToArray());
            var response = await api.PostAsync("/api/v1/events/batch", new StringContent(events.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
    }

    /// <summary>The app's own build output (next to its runtimeconfig), built with the tests.</summary>
    private static string AppPath()
    {
        // …/WebhookConsole.Tests/bin/{Configuration}/net10.0/
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testBin.Parent!.Name;
        var root = testBin.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "WebhookConsole", "bin", configuration, "net10.0", "WebhookConsole.dll");
        Assert.True(File.Exists(path), $"Build the app first: {path} is missing.");
        return path;
    }
}
