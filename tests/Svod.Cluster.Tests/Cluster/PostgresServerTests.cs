using Npgsql;
using Xunit.Abstractions;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>The private PostgreSQL the cluster tests run against: it starts, survives a clean restart and a crash
/// with its data.</summary>
public sealed class PostgresServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_private_server_keeps_its_data_across_a_restart_and_a_crash()
    {
        await using var server = await PostgresServer.StartAsync();
        if (RequiredTool.Skip(server is null ? "PostgreSQL is not installed (apt-get install postgresql)" : null, output))
        {
            return;
        }

        var connection = await server!.CreateDatabaseAsync("smoke");
        await ExecuteAsync(connection, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)");
        await server.StopAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ExecuteAsync(connection, "SELECT 1"));
        await server.RestartAsync();
        Assert.Equal(42, await ScalarAsync(connection, "SELECT v FROM t"));

        await server.KillAsync();
        await server.RestartAsync();
        Assert.Equal(42, await ScalarAsync(connection, "SELECT v FROM t"));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var data = NpgsqlDataSource.Create(connectionString);
        await using var command = data.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<int> ScalarAsync(string connectionString, string sql)
    {
        await using var data = NpgsqlDataSource.Create(connectionString);
        await using var command = data.CreateCommand(sql);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
