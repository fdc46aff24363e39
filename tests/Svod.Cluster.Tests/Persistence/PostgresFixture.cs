using Npgsql;

namespace Svod.Cluster.Tests.Persistence;

/// <summary>
/// One private PostgreSQL for a test class (starting one takes a second or two); each test gets its own database from
/// <see cref="CreateDatabaseAsync"/>. <see cref="Server"/> is null when PostgreSQL is not installed locally.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Missing = "PostgreSQL is not installed (apt-get install postgresql)";

    private int _databases;

    public PostgresServer? Server { get; private set; }

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    /// <summary>A fresh database with no schema.</summary>
    public async Task<NpgsqlDataSource> CreateDatabaseAsync()
    {
        var server = Server ?? throw new InvalidOperationException(Missing);
        var name = $"test{Interlocked.Increment(ref _databases)}";
        return NpgsqlDataSource.Create(await server.CreateDatabaseAsync(name));
    }
}
