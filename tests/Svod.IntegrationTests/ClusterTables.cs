using Npgsql;

namespace Svod.IntegrationTests;

/// <summary>One row of <c>svod.shards</c> as read in one statement.</summary>
/// <param name="UpdatedAt">The database's <c>now()</c> of the transaction that last changed the row: every row one
/// coordinator tick changes carries the same value.</param>
internal sealed record ShardRow(int Shard, string? Owner, long Epoch, string State, string? HandoffTo,
    DateTime UpdatedAt);

/// <summary>The cluster's tables in the private PostgreSQL, read directly (not through a node), so that a test can
/// check what the nodes wrote while some of them are paused, dead or cut off.</summary>
internal sealed class ClusterTables : IAsyncDisposable
{
    private readonly NpgsqlDataSource _database;

    public ClusterTables(PostgresServer postgres) =>
        _database = NpgsqlDataSource.Create(postgres.ConnectionString() + ";Application Name=svod tests");

    public async Task<ShardRow[]> ShardsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _database.CreateCommand(
            "SELECT shard_id, owner, epoch, state, handoff_to, updated_at FROM svod.shards ORDER BY shard_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ShardRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ShardRow(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetDateTime(5)));
        }

        return [.. rows];
    }

    /// <summary>The database's clock, to compare with <c>updated_at</c> columns.</summary>
    public async Task<DateTime> NowAsync()
    {
        await using var command = _database.CreateCommand("SELECT now()");
        return (DateTime)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Snapshot rows written after <paramref name="since"/> whose (shard, epoch) is one of
    /// <paramref name="stale"/>: writes that got past the fence.</summary>
    public async Task<string[]> SnapshotsWrittenAtAsync(IReadOnlyCollection<(int Shard, long Epoch)> stale,
        DateTime since)
    {
        await using var command = _database.CreateCommand(
            "SELECT utterance_id, shard_id, epoch, updated_at FROM svod.snapshots " +
            "WHERE updated_at > $1 AND (shard_id, epoch) IN (SELECT * FROM unnest($2::int[], $3::bigint[]))");
        command.Parameters.Add(new NpgsqlParameter { Value = since });
        command.Parameters.Add(new NpgsqlParameter { Value = stale.Select(s => s.Shard).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = stale.Select(s => s.Epoch).ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetString(0)} (shard {reader.GetInt32(1)}, epoch {reader.GetInt64(2)}, " +
                $"written {reader.GetDateTime(3):O})");
        }

        return [.. rows];
    }

    /// <summary>Members and their states, by node id.</summary>
    public async Task<Dictionary<string, string>> MemberStatesAsync()
    {
        await using var command = _database.CreateCommand("SELECT node_id, state FROM svod.members");
        await using var reader = await command.ExecuteReaderAsync();
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            states[reader.GetString(0)] = reader.GetString(1);
        }

        return states;
    }

    /// <summary>Drops the pooled connections: after the server restarted, each would fail its first command.
    /// </summary>
    public void ForgetConnections() => _database.Clear();

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
