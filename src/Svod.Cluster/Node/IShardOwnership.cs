namespace Svod.Cluster.Node;

/// <summary>
/// Which shards this node may serve now, and who serves the others: the node's side of docs/cluster.md's "Serving
/// and fencing". A cluster node answers from its member agent's view and lease; a single node owns every shard.
/// </summary>
public interface IShardOwnership
{
    int ShardCount { get; }

    /// <summary>True when this node owns <paramref name="shard"/> (and its lease is fresh), with the epoch its writes
    /// carry. A shard being handed off is not accepted for new utterances.</summary>
    bool TryServe(int shard, out long epoch);

    /// <summary>The stream URL and epoch of the shard's owner when another node owns it; null when nobody does (yet).
    /// </summary>
    (string Address, long Epoch)? Owner(int shard);

    /// <summary>Every shard's owner as this node knows it, with a version that grows with every change.</summary>
    ShardMapView Map { get; }
}

/// <summary>The shard map clients route by: owner address and epoch per shard (null address: unowned).
/// <paramref name="Cluster"/> false: a node alone, whose map only says it owns everything (clients given several
/// independent nodes spread utterances over them instead).</summary>
public sealed record ShardMapView(long Version, IReadOnlyList<(string? Address, long Epoch)> Shards, bool Cluster = true);

/// <summary>A node alone: it owns every shard at epoch 1; its address is known once it listens.</summary>
public sealed class SingleNodeOwnership(int shardCount, Func<string> address) : IShardOwnership
{
    public int ShardCount => shardCount;

    public ShardMapView Map => new(1, [.. Enumerable.Repeat<(string?, long)>((address(), 1), shardCount)], Cluster: false);

    public bool TryServe(int shard, out long epoch)
    {
        epoch = 1;
        return true;
    }

    public (string Address, long Epoch)? Owner(int shard) => (address(), 1);
}
