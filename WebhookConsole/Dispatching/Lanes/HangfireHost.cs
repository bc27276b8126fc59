using Hangfire.Logging;

namespace WebhookConsole.Dispatching.Lanes;

/// <summary>
/// Hangfire keeps its log provider in a static. Several hosts in one process (the test suite) would leave
/// it pointing at a disposed logger factory, and Hangfire's static initializers would fail for good; this
/// provider logs through the host's factory and goes quiet once that factory is gone.
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory factory) : ILogProvider
{
    public ILog GetLogger(string name) => new HostLog(factory, name);

    private sealed class HostLog(ILoggerFactory factory, string name) : ILog
    {
        private Microsoft.Extensions.Logging.ILogger? _logger;

        public bool Log(Hangfire.Logging.LogLevel level, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                _logger ??= factory.CreateLogger(name);
                var mapped = level switch
                {
                    Hangfire.Logging.LogLevel.Trace => Microsoft.Extensions.Logging.LogLevel.Trace,
                    Hangfire.Logging.LogLevel.Debug => Microsoft.Extensions.Logging.LogLevel.Debug,
                    Hangfire.Logging.LogLevel.Info => Microsoft.Extensions.Logging.LogLevel.Information,
                    Hangfire.Logging.LogLevel.Warn => Microsoft.Extensions.Logging.LogLevel.Warning,
                    Hangfire.Logging.LogLevel.Error => Microsoft.Extensions.Logging.LogLevel.Error,
                    _ => Microsoft.Extensions.Logging.LogLevel.Critical,
                };
                if (messageFunc is null) return _logger.IsEnabled(mapped);
                _logger.Log(mapped, exception, "{Message}", messageFunc());
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}

/// <summary>
/// Resolves Hangfire jobs from this host's container, in a scope per job. Set on the server explicitly, so
/// Hangfire's static JobActivator.Current (last host wins) never hands a job to another host's services.
/// </summary>
internal sealed class HostJobActivator(IServiceScopeFactory scopes) : Hangfire.JobActivator
{
    public override object ActivateJob(Type jobType) =>
        throw new InvalidOperationException("Jobs are activated in a scope; use BeginScope.");

    public override Hangfire.JobActivatorScope BeginScope(Hangfire.JobActivatorContext context) => new Scope(scopes.CreateScope());

    private sealed class Scope(IServiceScope scope) : Hangfire.JobActivatorScope
    {
        public override object Resolve(Type type) => scope.ServiceProvider.GetRequiredService(type);
        public override void DisposeScope() => scope.Dispose();
    }
}
