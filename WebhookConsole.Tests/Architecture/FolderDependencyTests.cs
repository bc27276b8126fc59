using Xunit.Abstractions;

namespace WebhookConsole.Tests.Architecture;

/// <summary>
/// The folders form layers (docs/architecture.md): a folder uses only folders below it. The loops that are
/// left are listed here by name, so none can be added and each one removed must be taken off the list.
/// </summary>
public class FolderDependencyTests(ITestOutputHelper output)
{
    /// <summary>Loops still to be taken apart (issue 14); this list only shrinks.</summary>
    private static readonly string[] KnownLoops =
    [
        "Dispatching → Events", "Events → Dispatching",
        "Dispatching → Features/Jobs", "Features/Jobs → Dispatching",
        "Dispatching → Retention", "Retention → Dispatching",
    ];

    [Fact]
    public void No_folder_uses_one_that_uses_it_back_beyond_the_known_loops()
    {
        var edges = FolderDependencies.Read(typeof(Program).Assembly);
        foreach (var (from, uses) in edges.OrderBy(e => e.Key))
        {
            output.WriteLine($"{from}: {string.Join(", ", uses.Keys.Order())}");
        }
        var loops = FolderDependencies.OnLoops(edges);
        foreach (var loop in loops) output.WriteLine("loop: " + loop);
        var added = loops.Where(l => !KnownLoops.Contains(l)).Select(l => $"{l} ({Example(edges, l)})").ToList();
        Assert.True(added.Count == 0, "New uses that close a loop between folders: " + string.Join("; ", added));
        var gone = KnownLoops.Where(l => !loops.Contains(l)).ToList();
        Assert.True(gone.Count == 0, "These loops are gone; take them off KnownLoops: " + string.Join("; ", gone));
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

    private static string Example(Dictionary<string, Dictionary<string, string>> edges, string loop)
    {
        var (from, to) = (loop.Split(" → ")[0], loop.Split(" → ")[1]);
        return edges[from][to];
    }
}
