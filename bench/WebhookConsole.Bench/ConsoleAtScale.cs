using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Auditing;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Postgres;
using WebhookConsole.Data.Search;
using WebhookConsole.Data.Sqlite;
using WebhookConsole.Dispatching.Lanes;
using WebhookConsole.Features.Jobs;

namespace WebhookConsole.Bench;

public sealed record ConsoleResult(double AllHistoryFirstPage, double FailuresByWebhookFirstPage, double Page50, double TextSearch, long Jobs, double PeakMb, double SeedSeconds,
    double IndexSeconds, long IndexedRows, double Overview = double.NaN, double WebhookChart = double.NaN, double ScanSearch = double.NaN);

/// <summary>
/// (6) The jobs console over months of history: the database the run filled, topped up to the asked number
/// of jobs (with their attempts) spread over 90 days, then timed through <see cref="JobsService"/>, the
/// service the Webhook Jobs page and the API use.
/// </summary>
public static class ConsoleAtScale
{
    public const string SearchTerm = "sub-777777777";

    public static Task<ConsoleResult> RunAsync(string database, int jobs) => RunAsync(new SqliteTarget(database), jobs);

    /// <summary>The same on PostgreSQL: the database the PostgreSQL end-to-end part filled (its webhooks, its jobs).</summary>
    public static Task<ConsoleResult> RunOnPostgresAsync(string connectionString, int jobs) => RunAsync(new PostgresTarget(connectionString), jobs);

    private static async Task<ConsoleResult> RunAsync(Target target, int jobs)
    {
        var seedWatch = Stopwatch.StartNew();
        var webhooks = await SeedAsync(target, jobs);
        var seedSeconds = seedWatch.Elapsed.TotalSeconds;

        GC.Collect();
        await using var memory = new PeakWorkingSet(Process.GetCurrentProcess());
        var services = target.AddDatabase(new ServiceCollection())
            .AddSingleton(TimeProvider.System)
            .AddSingleton<AuditLog>()
            .AddSingleton<IDeliveryQueue, NoQueue>()
            .AddSingleton<WebhookConsole.Filtering.IFilterEvaluator>(new WebhookConsole.Filtering.JintFilterEvaluator(
                Microsoft.Extensions.Options.Options.Create(new WebhookConsole.Filtering.FilteringOptions())))
            .AddSingleton<JobsService>()
            .AddSingleton<WebhookConsole.Features.Overview.DeliveryStats>()
            .AddSingleton<WriteGate>()
            .AddSingleton<JobSearchIndexer>()
            .AddLogging()
            .BuildServiceProvider();
        var service = services.GetRequiredService<JobsService>();

        // The seed writes rows the way the console's history holds them after months; the console's search
        // indexer would have indexed them as they came. Here it catches up on them all at once (timed).
        var indexWatch = Stopwatch.StartNew();
        var indexed = await target.CatchUpSearchIndexAsync(services);
        var indexSeconds = indexWatch.Elapsed.TotalSeconds;

        // What the page does to show a tab: the page of rows and the capped tab counts.
        var all = await MedianAsync(async () => { await service.ListAsync(new JobQuery(Limit: 50)); await service.CountsAsync(); });
        var failures = await MedianAsync(async () =>
        {
            var page = await service.ListAsync(new JobQuery(Status: JobStatus.Failed, WebhookId: webhooks[3], Limit: 50));
            if (page.Items.Count == 0) throw new InvalidOperationException("The failures page is empty; the seed went wrong.");
            await service.CountsAsync();
        });
        string? token = null;
        for (var i = 0; i < 49; i++) token = (await service.ListAsync(new JobQuery(Limit: 50, PageToken: token))).NextPageToken;
        var page50 = await MedianAsync(() => service.ListAsync(new JobQuery(Limit: 50, PageToken: token)));
        var search = await MedianAsync(async () =>
        {
            var found = await service.ListAsync(new JobQuery(Text: SearchTerm, Limit: 50));
            if (found.Items.Count != 1) throw new InvalidOperationException($"The search found {found.Items.Count} jobs, not the one seeded.");
        });
        // Text that starts inside a word is not in the word index: the last 7 days are scanned, every body read
        // (on SQLite decompressed, PayloadText) and checked for the exact text.
        var scan = await MedianAsync(async () =>
        {
            var found = await service.ListAsync(new JobQuery(Text: SearchTerm[1..], Limit: 50));
            if (found.Items.Count != 1) throw new InvalidOperationException($"The scan found {found.Items.Count} jobs, not the one seeded.");
        });
        // The overview page: its figures (the day per webhook, the backlog, the failing webhooks) and its chart; and a
        // webhook page's chart.
        var stats = services.GetRequiredService<WebhookConsole.Features.Overview.DeliveryStats>();
        var day = WebhookConsole.Features.Overview.ChartRange.LastDay;
        var overview = await MedianAsync(async () =>
        {
            var snapshot = await stats.OverviewAsync(WebhookConsole.Security.Actor.System);
            if (snapshot.Totals.Total == 0) throw new InvalidOperationException("The overview counts no attempt in the last day; the seed went wrong.");
            await stats.BucketsAsync(WebhookConsole.Security.Actor.System, day);
        });
        var webhookChart = await MedianAsync(() => stats.BucketsAsync(WebhookConsole.Security.Actor.System, day, webhooks[3]));
        long total;
        await using (var db = target.Open()) total = await db.WebhookJobs.LongCountAsync();
        return new ConsoleResult(all, failures, page50, search, total, memory.PeakMb, seedSeconds, indexSeconds, indexed, overview, webhookChart, scan);
    }

    private static async Task<double> MedianAsync(Func<Task> run)
    {
        for (var i = 0; i < 3; i++) await run();
        var times = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            await run();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return Math.Round((times[9] + times[10]) / 2, 2);
    }

    private sealed class NoQueue : IDeliveryQueue
    {
        public void Enqueue(IReadOnlyCollection<Guid> jobIds) { }
        public void Schedule(Guid jobId, DateTime dueAt) { }
        public Task<WebhookConsole.Data.Entities.JobAttempt?> AttemptNowAsync(Guid jobId, Func<CancellationToken, Task>? create, CancellationToken ct, TimeSpan? timeoutCap = null) =>
            Task.FromResult<WebhookConsole.Data.Entities.JobAttempt?>(null);
    }

    /// <summary>
    /// Tops the jobs up to <paramref name="target"/>: 95% succeeded in one attempt, 5% failed after three, one in
    /// a thousand edited. Rows go through the console's own model and bulk writer, so they are stored exactly as
    /// the console stores them.
    /// </summary>
    private static async Task<Guid[]> SeedAsync(Target database, int target)
    {
        await using var db = database.Open();
        var webhooks = await db.Webhooks.AsNoTracking().Where(w => w.Name.StartsWith("Bench ")).OrderBy(w => w.Name)
            .Select(w => new { w.Id, w.Name, w.Url }).ToListAsync();
        if (webhooks.Count == 0) throw new InvalidOperationException("The end-to-end part creates the webhooks the console part fills.");
        var existing = await db.WebhookJobs.LongCountAsync();
        // The measurements need a searched-for job and failures of webhook 3. A fast machine's warm-up and
        // end-to-end parts can write more jobs than a --quick target, and a kept database may hold them already:
        // seed what is missing either way, once.
        var failing = webhooks[3].Id;
        // On SQLite bodies are stored compressed, and SQL reads them through wc_contains (PayloadText).
        var hasSearched = db is PostgresDbContext
            ? await db.WebhookJobs.AnyAsync(j => j.RequestBody.Contains(SearchTerm))
            : await db.WebhookJobs.AnyAsync(j => PayloadText.Contains(j.RequestBody, SearchTerm));
        var hasFailures = await db.WebhookJobs.AnyAsync(j => j.Status == JobStatus.Failed && j.WebhookId == failing);
        var toAdd = Math.Max(target - existing, hasSearched && hasFailures ? 0 : 1_000);

        var random = new Random(42);
        var now = DateTime.UtcNow.AddMinutes(-30);
        List<HeaderEntry> headers = [new("Content-Type", "application/json")];
        var jobs = new List<WebhookJob>(20_000);
        // The per-minute counts the recorder would have written for these attempts, for the minutes the purge keeps.
        var keepFrom = DeliveryMinute.MinuteOf(DateTime.UtcNow.AddDays(-WebhookConsole.Retention.RetentionService.DeliveryMinuteDays));
        var minutes = new Dictionary<(long Minute, Guid WebhookId), DeliveryMinute>();
        var attempts = new List<JobAttempt>(22_000);
        async Task Flush()
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await db.InsertAsync(jobs);
            await db.InsertAsync(attempts);
            await tx.CommitAsync();
            jobs.Clear();
            attempts.Clear();
        }
        for (var i = 0; i < toAdd; i++)
        {
            var id = Guid.NewGuid();
            var w = webhooks[i % webhooks.Count];
            var searched = !hasSearched && i == toAdd / 3;
            // The searched-for job is two days old: inside the search's default window, as a support case would be.
            var created = now - (searched ? TimeSpan.FromDays(2) : TimeSpan.FromSeconds(random.NextDouble() * 90 * 86400));
            var failed = random.Next(20) == 0 || (!hasFailures && i < webhooks.Count * 5 && i % webhooks.Count == 3);
            var seq = searched ? 777_777_777 : 100_000_000 + i;
            var body = "{\"type\":\"webhook.Submission.Submitted\",\"id\":\"" + id + "\",\"timestamp\":\"" + created.ToString("O", CultureInfo.InvariantCulture)
                + "\",\"data\":{\"space\":\"acme\",\"kapp\":\"services\",\"form\":\"bench\",\"submission\":{\"id\":\"sub-" + seq.ToString("D9", CultureInfo.InvariantCulture)
                + "\",\"coreState\":\"Submitted\",\"values\":{\"Requested For\":\"Jane Doe\",\"Location\":\"Building 4\",\"Priority\":\"Normal\",\"Details\":\"The badge reader at the east entrance blinks red and refuses every badge since this morning.\"}}}}";
            var edited = i % 1000 == 0;
            jobs.Add(new WebhookJob
            {
                Id = id, WebhookId = w.Id, WebhookName = w.Name, EventType = "Submission", EventAction = "Submitted", Url = w.Url,
                RequestHeaders = headers, RequestBody = body, OriginalRequestBody = edited ? body : null,
                Status = failed ? JobStatus.Failed : JobStatus.Succeeded, AttemptCount = failed ? 3 : 1, LastStatusCode = failed ? 500 : 200,
                Summary = failed ? "500 Internal Server Error · gave up after 3 attempts" : "200 OK",
                CreatedAt = created, UpdatedAt = created, CompletedAt = created,
            });
            for (var n = 1; n <= (failed ? 3 : 1); n++)
            {
                var startedAt = created + TimeSpan.FromSeconds(n * 5);
                var minute = DeliveryMinute.MinuteOf(startedAt);
                if (minute >= keepFrom)
                {
                    if (!minutes.TryGetValue((minute, w.Id), out var row)) minutes[(minute, w.Id)] = row = new DeliveryMinute { Minute = minute, WebhookId = w.Id };
                    if (!failed) row.Succeeded++;
                    else if (n < 3) row.Retried++;
                    else row.Failed++;
                }
                attempts.Add(new JobAttempt
                {
                    JobId = id, Number = n, Trigger = AttemptTrigger.Schedule, StartedAt = created + TimeSpan.FromSeconds(n * 5), DurationMs = 12,
                    Url = w.Url, RequestHeaders = headers, StatusCode = failed ? 500 : 200, ResponseHeaders = headers,
                    ResponseBody = failed ? """{"error":"upstream unavailable"}""" : "", ResponseBodyLength = failed ? 31 : 0,
                });
            }
            if (jobs.Count == 20_000) await Flush();
        }
        await Flush();
        // Minutes the run itself recorded are left as they are (the seed's are at least 30 minutes old).
        var taken = (await db.DeliveryMinutes.Select(m => new { m.Minute, m.WebhookId }).ToListAsync()).Select(m => (m.Minute, m.WebhookId)).ToHashSet();
        db.DeliveryMinutes.AddRange(minutes.Values.Where(m => !taken.Contains((m.Minute, m.WebhookId))));
        await db.SaveChangesAsync();
        return webhooks.Select(w => w.Id).ToArray();
    }

    /// <summary>Where the part runs: the provider's context, its services and its search indexer's catch-up.</summary>
    private abstract class Target
    {
        public abstract AppDbContext Open();

        public abstract IServiceCollection AddDatabase(IServiceCollection services);

        public abstract Task<long> CatchUpSearchIndexAsync(IServiceProvider services);
    }

    private sealed class SqliteTarget(string database) : Target
    {
        public override AppDbContext Open() => new(new DbContextOptionsBuilder<AppDbContext>().UseSqlite($"Data Source={database};Pooling=False").Options);

        public override IServiceCollection AddDatabase(IServiceCollection services) => services
            .AddSingleton(new DatabaseSettings(DatabaseProvider.Sqlite))
            .AddDbContextFactory<AppDbContext>(o => o.UseSqlite(DataExtensions.ResolveSqlite($"Data Source={database}")));

        public override Task<long> CatchUpSearchIndexAsync(IServiceProvider services) => services.GetRequiredService<JobSearchIndexer>().CatchUpAsync();
    }

    private sealed class PostgresTarget(string connectionString) : Target, IDbContextFactory<AppDbContext>
    {
        private readonly DbContextOptions<PostgresDbContext> _options = new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql(connectionString).Options;

        public override AppDbContext Open() => new PostgresDbContext(_options);

        public AppDbContext CreateDbContext() => Open();

        public override IServiceCollection AddDatabase(IServiceCollection services) => services
            .AddSingleton(new DatabaseSettings(DatabaseProvider.Postgres))
            .AddSingleton<IDbContextFactory<AppDbContext>>(this);

        public override async Task<long> CatchUpSearchIndexAsync(IServiceProvider services)
        {
            await using var db = Open();
            long total = 0;
            for (int n; (n = await PostgresSearchIndexer.IndexSliceAsync(db, PostgresSearchIndexer.SliceSize, CancellationToken.None)) > 0;) total += n;
            await db.Database.ExecuteSqlRawAsync("""ANALYZE "WebhookJobs"; ANALYZE "JobAttempts"; ANALYZE "JobSearchDocuments";""");
            return total;
        }
    }
}
