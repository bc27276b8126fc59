using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>
/// A database trigger that refuses inserts into the jobs table whose URL contains a marker, in each provider's own
/// dialect: a failure inside the database, half-way through a transaction, as a full disk or a constraint would.
/// Names come from the test (letters, digits, underscores), never from input.
/// </summary>
public sealed partial class InjectedFailure : IAsyncDisposable
{
    private readonly IDbContextFactory<AppDbContext> _factory;
    private readonly string _name;

    private InjectedFailure(IDbContextFactory<AppDbContext> factory, string name)
    {
        _factory = factory;
        _name = name;
    }

    public static async Task<InjectedFailure> RefuseJobsAsync(IDbContextFactory<AppDbContext> factory, string name, string urlMarker)
    {
        if (!SafeName().IsMatch(name) || !SafeMarker().IsMatch(urlMarker)) throw new ArgumentException("Trigger names and markers are letters, digits, '_' and '/'.");
        await using var db = await factory.CreateDbContextAsync();
        var sql = db.Database.IsNpgsql()
            ? $"""
                CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure after the Event was written'; END $$ LANGUAGE plpgsql;
                CREATE TRIGGER {name} BEFORE INSERT ON "WebhookJobs" FOR EACH ROW WHEN (NEW."Url" LIKE '%{urlMarker}%') EXECUTE FUNCTION {name}();
                """
            : $"CREATE TRIGGER {name} BEFORE INSERT ON WebhookJobs WHEN NEW.Url LIKE '%{urlMarker}%' BEGIN SELECT RAISE(ABORT, 'injected failure after the Event was written'); END;";
        await db.Database.ExecuteSqlRawAsync(sql);
        return new InjectedFailure(factory, name);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9_]+$")]
    private static partial System.Text.RegularExpressions.Regex SafeName();

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9_/]+$")]
    private static partial System.Text.RegularExpressions.Regex SafeMarker();

    public async ValueTask DisposeAsync()
    {
        await using var db = await _factory.CreateDbContextAsync();
        var sql = db.Database.IsNpgsql() ? $"""DROP TRIGGER {_name} ON "WebhookJobs"; DROP FUNCTION {_name}();""" : $"DROP TRIGGER {_name};";
        await db.Database.ExecuteSqlRawAsync(sql);
    }
}
