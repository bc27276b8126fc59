using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data;

namespace WebhookConsole.Tests.TestSupport;

/// <summary>
/// A migrated database of a test's own, on either provider: <see cref="TestDatabase"/> (a temporary SQLite file) or
/// <see cref="PostgresTestDatabase"/> (a database on the tests' PostgreSQL server). Suites that must hold on both
/// take one of these and have a class per provider.
/// </summary>
public interface ITestDatabase : IDbContextFactory<AppDbContext>, IDisposable
{
    DatabaseProvider Provider { get; }

    string ConnectionString { get; }
}
