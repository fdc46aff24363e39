namespace Svod.Cluster.Node;

/// <summary>What the admin endpoints (<c>svod cluster ...</c>) read and change: the members table and the shards
/// table of a cluster, or the node itself when it runs alone.</summary>
public interface IClusterAdmin
{
    Task<IReadOnlyList<MemberInfo>> MembersAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<ShardInfo>> ShardsAsync(CancellationToken cancellationToken);

    /// <summary>Asks a member to leave gracefully (hand off its shards, then exit); false when there is no such member.
    /// </summary>
    Task<bool> LeaveAsync(string nodeId, CancellationToken cancellationToken);

    /// <summary>Marks a member down at once (its shards move at the next epoch); false when there is no such member.
    /// </summary>
    Task<bool> DownAsync(string nodeId, CancellationToken cancellationToken);
}

/// <param name="HeartbeatAge">How old the member's last heartbeat is, by the database's clock.</param>
/// <param name="LanesBusy">Fraction of time its lane pools spent in AdvanceDecoding calls lately.</param>
public sealed record MemberInfo(string NodeId, string Address, string State, TimeSpan HeartbeatAge, int Shards,
    int Channels, double LanesBusy, bool Coordinator);

/// <param name="Channels">Utterances of the shard with a snapshot (open and resumable).</param>
public sealed record ShardInfo(int Shard, string? Owner, long Epoch, string State, string? HandoffTo, int Channels);
