using System.Collections.Frozen;

namespace Svod.Cluster.Cluster;

/// <summary>One shard this node owns: the epoch its writes are fenced with, and whether it is being handed off.
/// </summary>
/// <param name="HandoffTo">With <see cref="Handoff"/>: the node id it goes to; null when no member is up to take it
/// (the node writes its snapshots and releases it anyway).</param>
public readonly record struct ShardLease(int ShardId, long Epoch, bool Handoff, string? HandoffTo);

/// <summary>
/// The shards a node owns as of one heartbeat, immutable; <see cref="Version"/> grows with every change, so a reader
/// can tell whether what it decided from is still current.
/// </summary>
public sealed class ShardView
{
    public static ShardView Empty { get; } = new(0, FrozenDictionary<int, ShardLease>.Empty);

    internal ShardView(long version, FrozenDictionary<int, ShardLease> shards)
    {
        Version = version;
        Shards = shards;
    }

    public long Version { get; }

    /// <summary>Shard id → lease; shards being handed off included.</summary>
    public IReadOnlyDictionary<int, ShardLease> Shards { get; }

    /// <summary>True when this node owns <paramref name="shardId"/> and is not handing it off: it may start new
    /// utterances of it (with a valid lease).</summary>
    public bool Serves(int shardId) => Shards.TryGetValue(shardId, out var lease) && !lease.Handoff;

    public int Count => Shards.Count;
}

/// <summary>What changed from one view to the next; handlers run on the agent's heartbeat loop and must not block.
/// </summary>
/// <param name="Gained">Newly owned, or owned again at a new epoch (serve them from <see cref="Current"/>).</param>
/// <param name="HandingOff">Shards the coordinator asks this node to hand off: snapshot their channels, stop them,
/// then <see cref="MemberAgent.ReleaseAsync"/>.</param>
/// <param name="Lost">No longer owned at the epoch this node had (taken over, fenced, or the lease was lost for good):
/// stop their channels at once, without writing.</param>
/// <param name="Released">Released by this node through <see cref="MemberAgent.ReleaseAsync"/>.</param>
/// <param name="Resumed">A hand-off that was cancelled: the node serves the shard again at the same epoch.</param>
public sealed record ShardViewChange(
    ShardView Previous,
    ShardView Current,
    IReadOnlyList<ShardLease> Gained,
    IReadOnlyList<ShardLease> HandingOff,
    IReadOnlyList<ShardLease> Lost,
    IReadOnlyList<ShardLease> Released,
    IReadOnlyList<ShardLease> Resumed);

/// <summary>The lease ran out (<see cref="Permanent"/> false: heartbeats may still renew it) or the member row was
/// taken away (<see cref="Permanent"/> true: the process must stop serving and exit).</summary>
/// <param name="ExpiredAt">When the lease ended, a <see cref="TimeProvider.GetTimestamp"/> value of the agent's clock.
/// </param>
public sealed record LeaseLoss(bool Permanent, long ExpiredAt);

/// <summary>What a node reports in its heartbeat, for <c>svod cluster show</c>.</summary>
/// <param name="LanesBusy">Fraction of time its lane pools ran a call, 0 to 1.</param>
public readonly record struct MemberStats(int Channels, float LanesBusy);
