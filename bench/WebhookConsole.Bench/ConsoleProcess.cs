using System.Diagnostics;

namespace WebhookConsole.Bench;

/// <summary>The console as a user runs it: the Release build, its own process, a SQLite file.</summary>
public sealed class ConsoleProcess : IAsyncDisposable
{
    public const string ApiKey = "wck_bench_key_0123456789abcdef0123";
    private readonly Process _process;
    private readonly List<string> _errors = [];

    private ConsoleProcess(Process process, string baseUrl, string database)
    {
        _process = process;
        BaseUrl = baseUrl;
        Database = database;
    }

    public string BaseUrl { get; }
    public string Database { get; }
    public Process Process => _process;

    public static async Task<ConsoleProcess> StartAsync(string appDll, string database, int port, IReadOnlyDictionary<string, string>? settings = null)
    {
        var baseUrl = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet", [appDll])
        {
            WorkingDirectory = Path.GetDirectoryName(appDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_URLS"] = baseUrl;
        info.Environment["ConnectionStrings__Console"] = $"Data Source={database}";
        info.Environment["Seed__AdminPassword"] = "Bench-Passw0rd!";
        info.Environment["Seed__ApiKey"] = ApiKey;
        info.Environment["Dispatch__AllowedPrivateNetworks__0"] = "127.0.0.0/8";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = Process.Start(info)!;
        var console = new ConsoleProcess(process, baseUrl, database);
        process.OutputDataReceived += (_, e) => console.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => console.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await console.WaitReadyAsync();
        return console;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_errors)
        {
            if (line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal))
            {
                if (_errors.Count < 20) _errors.Add(line);
            }
        }
    }

    public IReadOnlyList<string> Errors
    {
        get { lock (_errors) return [.. _errors]; }
    }

    public HttpClient CreateClient(int connections = 64)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false })
        {
            BaseAddress = new Uri(BaseUrl),
            Timeout = TimeSpan.FromMinutes(5),
        };
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiKey);
        return client;
    }

    private async Task WaitReadyAsync()
    {
        using var client = CreateClient(1);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The console exited with code {_process.ExitCode} during start-up: {string.Join(Environment.NewLine, Errors)}");
            try
            {
                if ((await client.GetAsync("/api/v1/catalog")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("The console did not start within 90 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>Samples a process's working set every 100 ms and keeps the peak.</summary>
public sealed class PeakWorkingSet : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public PeakWorkingSet(Process process)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    process.Refresh();
                    var ws = process.WorkingSet64;
                    if (ws > _peak) _peak = ws;
                }
                catch (InvalidOperationException)
                {
                    return;
                }
                try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public double PeakMb => Math.Round(Interlocked.Read(ref _peak) / (1024.0 * 1024.0), 1);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
