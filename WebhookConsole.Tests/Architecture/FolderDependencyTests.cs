using Xunit.Abstractions;

namespace WebhookConsole.Tests.Architecture;

/// <summary>
/// The folders form layers (docs/architecture.md): a folder uses only folders in layers below its own. The graph is
/// read from the compiled assembly (<see cref="FolderDependencies"/>), so a use hidden in a method body or a
/// component's markup counts too.
/// </summary>
public class FolderDependencyTests(ITestOutputHelper output)
{
    /// <summary>The layers, lowest first: the same table as docs/architecture.md.</summary>
    private static readonly string[][] Layers =
    [
        // Small rules everyone shares: enum names, slugs.
        ["Common", "Telemetry"],
        ["Data"],
        ["Security"],
        // The catalog's endpoint names the API-key scheme.
        ["Auditing", "Catalog", "Http"],
        ["Filtering", "Payloads"],
        ["Dispatching"],
        ["Events", "Operations", "Retention"],
        ["Components/Shared"],
        ["Features/Account", "Features/ApiKeys", "Features/Audit", "Features/Callbacks", "Features/Events", "Features/Inspector",
            "Features/Jobs", "Features/Notifications", "Features/Overview", "Features/Users"],
        // The webhook page shows the webhook's recent jobs (Features/Jobs' RecentJobsPanel).
        ["Features/Webhooks"],
        ["Components"],
        // The features' shared _Imports (the wiring, ConsoleExtensions and Program, sits at the root, outside the layers).
        ["Features"],
    ];

    private static int LayerOf(string folder) => Array.FindIndex(Layers, l => l.Contains(folder));

    [Fact]
    public void Every_folder_uses_only_folders_below_it()
    {
        var edges = FolderDependencies.Read(typeof(Program).Assembly);
        foreach (var (from, uses) in edges.OrderBy(e => e.Key)) output.WriteLine($"{from}: {string.Join(", ", uses.Keys.Order())}");

        var unplaced = edges.Keys.Concat(edges.Values.SelectMany(u => u.Keys)).Distinct().Where(f => LayerOf(f) < 0).Order().ToList();
        Assert.True(unplaced.Count == 0, "Place these folders in a layer (here and in docs/architecture.md): " + string.Join(", ", unplaced));

        var upward = edges.SelectMany(e => e.Value.Where(u => LayerOf(u.Key) >= LayerOf(e.Key))
            .Select(u => $"{e.Key} → {u.Key} ({u.Value})")).Order().ToList();
        Assert.True(upward.Count == 0, "Uses of a folder in the same layer or above: " + string.Join("; ", upward));
        Assert.Empty(FolderDependencies.OnLoops(edges));
    }

    [Fact]
    public void The_reader_sees_uses_inside_method_bodies_and_razor_components()
    {
        var edges = FolderDependencies.Read(typeof(Program).Assembly);
        // Only in a method body: the jobs service calls the engine's lifecycle rules.
        Assert.Contains("Dispatching", edges["Features/Jobs"].Keys);
        // Only in a component's render tree: the main layout shows the notification bell.
        Assert.Contains("Features/Notifications", edges["Components"].Keys);
        Assert.DoesNotContain("Security", edges["Data"].Keys);
    }
}
