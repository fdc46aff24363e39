using Npgsql;

namespace Svod.Cluster.Cluster;

/// <summary>A row of <c>svod.members</c> for <c>svod cluster show</c> and for finding a shard owner's address.
/// </summary>
/// <param name="HeartbeatAge">How old its last heartbeat is, by the database's clock.</param>
/// <param name="Shards">Shards it owns (being handed off included).</param>
/// <param name="Coordinator">Its recorded session holds the coordinator lock now.</param>
public sealed record ClusterMember(string NodeId, string Address, MemberState State, TimeSpan HeartbeatAge, int Shards,
    int Channels, float LanesBusy, bool Coordinator);

/// <summary>A row of <c>svod.shards</c> with the addresses of its owner and hand-off target, for the shard map and
/// redirects.</summary>
public sealed record ClusterShard(int ShardId, string? Owner, string? OwnerAddress, long Epoch, ShardState State,
    string? HandoffTo, string? HandoffToAddress);

/// <summary>Reads and admin changes of the membership tables, from any node (no lock, no coordinator needed).</summary>
public static class ClusterDirectory
{
    public static async Task<IReadOnlyList<ClusterMember>> ReadMembersAsync(NpgsqlDataSource database,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var command = database.CreateCommand(
            "SELECT m.node_id, m.address, m.state, now() - m.heartbeat_at, " +
            "(SELECT count(*) FROM svod.shards s WHERE s.owner = m.node_id)::int, m.channels, m.lanes_busy, " +
            "m.coordinator_pid IS NOT NULL AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = m.coordinator_pid AND " +
            Coordinator.LockHeldSql + ") FROM svod.members m ORDER BY m.node_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var members = new List<ClusterMember>();
        while (await reader.ReadAsync(cancellationToken))
        {
            members.Add(new ClusterMember(reader.GetString(0), reader.GetString(1),
                ClusterStates.ParseMember(reader.GetString(2)), reader.GetFieldValue<TimeSpan>(3), reader.GetInt32(4),
                reader.GetInt32(5), reader.GetFloat(6), reader.GetBoolean(7)));
        }

        return members;
    }

    public static async Task<IReadOnlyList<ClusterShard>> ReadShardsAsync(NpgsqlDataSource database,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var command = database.CreateCommand(
            "SELECT s.shard_id, s.owner, o.address, s.epoch, s.state, s.handoff_to, t.address FROM svod.shards s " +
            "LEFT JOIN svod.members o ON o.node_id = s.owner LEFT JOIN svod.members t ON t.node_id = s.handoff_to " +
            "ORDER BY s.shard_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var shards = new List<ClusterShard>();
        while (await reader.ReadAsync(cancellationToken))
        {
            shards.Add(new ClusterShard(reader.GetInt32(0), NullableString(reader, 1), NullableString(reader, 2),
                reader.GetInt64(3), ClusterStates.ParseShard(reader.GetString(4)), NullableString(reader, 5),
                NullableString(reader, 6)));
        }

        return shards;
    }

    /// <summary><c>svod cluster down NODE</c>: the member is down at once; the coordinator's next tick gives its
    /// shards to others at epoch + 1, and the node's next heartbeat finds its row no longer its own. False when no such
    /// member is alive.</summary>
    public static Task<bool> MarkDownAsync(NpgsqlDataSource database, string nodeId,
        CancellationToken cancellationToken) =>
        SetStateAsync(database, nodeId, "down", "('joining', 'up', 'leaving')", cancellationToken);

    /// <summary><c>svod cluster leave NODE</c>: the member is <c>leaving</c>; the coordinator hands its shards off, and
    /// its agent raises <see cref="MemberAgent.LeaveRequested"/> at its next heartbeat. False when no such member is
    /// joining or up.</summary>
    public static Task<bool> RequestLeaveAsync(NpgsqlDataSource database, string nodeId,
        CancellationToken cancellationToken) =>
        SetStateAsync(database, nodeId, "leaving", "('joining', 'up')", cancellationToken);

    private static async Task<bool> SetStateAsync(NpgsqlDataSource database, string nodeId, string state, string from,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var command = database.CreateCommand(
            "UPDATE svod.members SET state = $2 WHERE node_id = $1 AND state IN " + from);
        command.Parameters.Add(new NpgsqlParameter { Value = nodeId });
        command.Parameters.Add(new NpgsqlParameter { Value = state });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
