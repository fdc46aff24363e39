using Npgsql;
using Svod.Cluster.Configuration;
using Svod.Cluster.Persistence;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>One private PostgreSQL per test class; each test gets a fresh database with the svod schema.</summary>
public sealed class ClusterDatabase : IAsyncLifetime
{
    private int _databases;

    /// <summary>Null when PostgreSQL is not installed (the tests skip).</summary>
    public PostgresServer? Server { get; private set; }

    /// <summary>Short timings, so that failure detection takes about two seconds. Not shorter: other test classes of
    /// this assembly run beside the cluster tests on two cores, and a 600 ms failure timeout marked live nodes down.
    /// </summary>
    public static ClusterOptions Options(string connectionString) => new()
    {
        Postgres = connectionString,
        Shards = 64,
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        LeaseDuration = TimeSpan.FromMilliseconds(500),
        FailureTimeout = TimeSpan.FromMilliseconds(1500),
        CoordinatorInterval = TimeSpan.FromMilliseconds(100),
        HandoffTimeout = TimeSpan.FromSeconds(5),
    };

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    /// <summary>A fresh migrated database; its connection string.</summary>
    public async Task<string> CreateAsync()
    {
        var connectionString = await Server!.CreateDatabaseAsync($"cluster{Interlocked.Increment(ref _databases)}");
        await using var database = NpgsqlDataSource.Create(connectionString);
        await SchemaMigrator.MigrateAsync(database, CancellationToken.None);
        return connectionString;
    }
}
