namespace Svod.Cluster.Node;

/// <summary>The admin view of a node that runs alone: one member, itself, owning every shard at epoch 1.</summary>
internal sealed class SingleNodeAdmin(NodeHost node) : IClusterAdmin
{
    public Task<IReadOnlyList<MemberInfo>> MembersAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<MemberInfo>>(
        [
            new MemberInfo(node.NodeId, node.Advertised, node.Draining ? "leaving" : "up", TimeSpan.Zero,
                node.ShardCount, node.OpenChannels, node.LanesBusy, Coordinator: true),
        ]);

    public Task<IReadOnlyList<ShardInfo>> ShardsAsync(CancellationToken cancellationToken)
    {
        var channels = node.ChannelsPerShard();
        return Task.FromResult<IReadOnlyList<ShardInfo>>(
            [.. Enumerable.Range(0, node.ShardCount).Select(s => new ShardInfo(s, node.NodeId, 1, "owned", null, channels[s]))]);
    }

    public Task<bool> LeaveAsync(string nodeId, CancellationToken cancellationToken)
    {
        if (nodeId != node.NodeId)
        {
            return Task.FromResult(false);
        }

        node.RequestShutdown();
        return Task.FromResult(true);
    }

    public Task<bool> DownAsync(string nodeId, CancellationToken cancellationToken) =>
        nodeId != node.NodeId
            ? Task.FromResult(false)
            : throw new InvalidOperationException(
                "a node running alone cannot be marked down: nobody would take its shards; use leave to stop it");
}
