using System.Globalization;

namespace WebhookConsole.Bench;

/// <summary>Command-line options; <c>--quick</c> shrinks every part, explicit sizes override it.</summary>
public sealed record BenchOptions
{
    public bool Quick { get; init; }
    public int Deliveries { get; init; } = 100_000;
    public int ConsoleJobs { get; init; } = 1_000_000;
    public int CeilingSeconds { get; init; } = 10;
    public int LatencySeconds { get; init; } = 30;
    public int LatencyRate { get; init; } = 500;
    /// <summary>Minutes of the soak part (0: not run); its rate of single events per second.</summary>
    public int SoakMinutes { get; init; }
    public int SoakRate { get; init; } = 300;
    public int IngestSeconds { get; init; } = 10;
    public int FilterSeconds { get; init; } = 5;
    public int WarmUpSeconds { get; init; } = 45;
    public string Out { get; init; } = "";
    public bool KeepData { get; init; }
    /// <summary>An existing benchmark database to reuse (kept with --keep); the console part then skips what is already seeded.</summary>
    public string Database { get; init; } = "";
    /// <summary>Parts to run (all when empty): ceiling, filters, ingest, e2e, latency, console, engine, soak. For working on one number.</summary>
    public string[] Only { get; init; } = [];
    /// <summary>With <c>--provider postgres</c>, part (2) also runs on a throwaway PostgreSQL cluster, once per instance count.</summary>
    public bool Postgres { get; init; }
    public int[] Instances { get; init; } = [1, 2];

    public bool Runs(string part) => Only.Length == 0 || Only.Contains(part, StringComparer.OrdinalIgnoreCase);

    public const string Usage = """
        dotnet run -c Release --project bench/WebhookConsole.Bench -- [options]

          --quick                 every part at a smaller size (20,000 deliveries, 100,000 jobs), under 5 minutes
          --deliveries N          end-to-end deliveries (default 100,000; --quick 20,000)
          --jobs N                jobs in the database for the console part (default 1,000,000; --quick 100,000)
          --ceiling-seconds N     bare HttpClient ceiling duration (default 10)
          --latency-seconds N     latency run duration (default 30; --quick 10)
          --latency-rate N        events per second in the latency run (default 500)
          --ingest-seconds N      single-event ingestion duration (default 10; --quick 5)
          --warmup-seconds N      load on every path before measuring, so the JIT has settled (default 45; --quick 30)
          --out FILE              JSON results (default bench/results/latest.json)
          --keep                  keep the temporary databases
          --database FILE         reuse a database a run kept (with --only console: time the queries again, no seeding)
          --soak MINUTES          run the soak part: steady single events (--soak-rate, default 300/s), two webhooks
                                  each; reports the working set's slope after warm-up (soakRssSlopeMbPerMin) and peak
          --provider postgres     also run end to end on a throwaway PostgreSQL cluster (.ci/postgres), beside SQLite
          --instances 1,2         console instances on PostgreSQL, one run each (default 1,2)
          --only a,b              run only these parts (ceiling, filters, ingest, e2e, latency, console, engine, soak); no JSON is
                                  written unless --out is given, since a partial run is not comparable
        """;

    public static BenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var o = quick
            ? new BenchOptions { Quick = true, Deliveries = 20_000, ConsoleJobs = 100_000, CeilingSeconds = 5, LatencySeconds = 10, IngestSeconds = 5, FilterSeconds = 3, WarmUpSeconds = 30 }
            : new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--quick" => o,
                "--deliveries" => o with { Deliveries = Int() },
                "--jobs" => o with { ConsoleJobs = Int() },
                "--ceiling-seconds" => o with { CeilingSeconds = Int() },
                "--latency-seconds" => o with { LatencySeconds = Int() },
                "--latency-rate" => o with { LatencyRate = Int() },
                "--soak" => o with { SoakMinutes = Int() },
                "--soak-rate" => o with { SoakRate = Int() },
                "--ingest-seconds" => o with { IngestSeconds = Int() },
                "--warmup-seconds" => o with { WarmUpSeconds = Int() },
                "--out" => o with { Out = Next() },
                "--keep" => o with { KeepData = true },
                "--database" => o with { Database = Path.GetFullPath(Next()), KeepData = true },
                "--provider" => Next().ToLowerInvariant() switch
                {
                    "postgres" => o with { Postgres = true },
                    "sqlite" => o with { Postgres = false },
                    var other => throw new ArgumentException($"--provider {other}: use sqlite or postgres."),
                },
                "--instances" => o with { Instances = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() },
                "--only" => o with { Only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }
        return o;
    }
}
