using Svod.Cluster.Cluster;

namespace Svod.Cluster.Node;

/// <summary>The admin endpoints of a cluster node read and change the membership tables.</summary>
public sealed partial class ClusterNode
{
    public async Task<IReadOnlyList<MemberInfo>> MembersAsync(CancellationToken cancellationToken) =>
        [.. (await ClusterDirectory.ReadMembersAsync(Database, cancellationToken)).Select(m => new MemberInfo(
            m.NodeId, m.Address, m.State.ToSql(), m.HeartbeatAge, m.Shards, m.Channels, m.LanesBusy, m.Coordinator))];

    public async Task<IReadOnlyList<ShardInfo>> ShardsAsync(CancellationToken cancellationToken)
    {
        var shards = await ClusterDirectory.ReadShardsAsync(Database, cancellationToken);
        var channels = new int[ShardCount];
        await using (var command = Database.CreateCommand(
                         "SELECT shard_id, count(*)::int FROM svod.snapshots GROUP BY shard_id"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var shard = reader.GetInt32(0);
                if ((uint)shard < (uint)channels.Length)
                {
                    channels[shard] = reader.GetInt32(1);
                }
            }
        }

        return [.. shards.Select(s => new ShardInfo(s.ShardId, s.Owner, s.Epoch, s.State.ToSql(), s.HandoffTo,
            channels[s.ShardId]))];
    }

    public Task<bool> LeaveAsync(string nodeId, CancellationToken cancellationToken) =>
        ClusterDirectory.RequestLeaveAsync(Database, nodeId, cancellationToken);

    public Task<bool> DownAsync(string nodeId, CancellationToken cancellationToken) =>
        ClusterDirectory.MarkDownAsync(Database, nodeId, cancellationToken);
}
