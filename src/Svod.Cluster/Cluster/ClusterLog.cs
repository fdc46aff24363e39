using Microsoft.Extensions.Logging;

namespace Svod.Cluster.Cluster;

/// <summary>Log events of membership, leases and the coordinator, event ids 1200–1299.</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information,
        Message = "Node {NodeId} joined the cluster as incarnation {Incarnation} at {Address}; epochs of the " +
            "{Shards} shards it owned before were bumped")]
    public static partial void Joined(ILogger logger, string nodeId, Guid incarnation, string address, int shards);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information,
        Message = "Node {NodeId} is leaving: its {Shards} shards are being handed off")]
    public static partial void Leaving(ILogger logger, string nodeId, int shards);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information,
        Message = "Node {NodeId} left the cluster (state removed)")]
    public static partial void Left(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning,
        Message = "Heartbeat of node {NodeId} failed; the lease holds for {LeaseLeft} more")]
    public static partial void HeartbeatFailed(ILogger logger, string nodeId, TimeSpan leaseLeft, Exception exception);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error,
        Message = "Node {NodeId} lost its lease: no heartbeat acknowledged within {LeaseDuration}; it stops serving " +
            "its {Shards} shards")]
    public static partial void LeaseExpired(ILogger logger, string nodeId, TimeSpan leaseDuration, int shards);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Critical,
        Message = "Node {NodeId} (incarnation {Incarnation}) was removed or taken over: its member row no longer " +
            "matches (marked down, or another process joined with this node id); it has lost its lease for good")]
    public static partial void LeaseLostForGood(ILogger logger, string nodeId, Guid incarnation);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information,
        Message = "Node {NodeId} renewed its lease after losing it")]
    public static partial void LeaseRegained(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Information,
        Message = "Node {NodeId} shard view {Version}: {Shards} shards, {Gained} gained, {HandingOff} to hand off, " +
            "{Lost} lost")]
    public static partial void ViewChanged(ILogger logger, string nodeId, long version, int shards, int gained,
        int handingOff, int lost);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Information,
        Message = "Node {NodeId} released shard {Shard} at epoch {Epoch}")]
    public static partial void Released(ILogger logger, string nodeId, int shard, long epoch);

    [LoggerMessage(EventId = 1209, Level = LogLevel.Warning,
        Message = "Node {NodeId} could not release shard {Shard} at epoch {Epoch}: it no longer owns it at that epoch")]
    public static partial void ReleaseFenced(ILogger logger, string nodeId, int shard, long epoch);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Error,
        Message = "A handler of a cluster event of node {NodeId} failed")]
    public static partial void HandlerFailed(ILogger logger, string nodeId, Exception exception);

    [LoggerMessage(EventId = 1220, Level = LogLevel.Information,
        Message = "Member {NodeId} is up")]
    public static partial void MemberUp(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Warning,
        Message = "Member {NodeId} is down: no heartbeat for longer than {FailureTimeout}")]
    public static partial void MemberDown(ILogger logger, string nodeId, TimeSpan failureTimeout);

    // Per shard at Debug: a first tick allocates every shard (up to 65536); 1228 sums each tick up.
    [LoggerMessage(EventId = 1222, Level = LogLevel.Debug,
        Message = "Shard {Shard} allocated to {Owner} at epoch {Epoch} (was {Previous})")]
    public static partial void Allocated(ILogger logger, int shard, string owner, long epoch, string previous);

    [LoggerMessage(EventId = 1223, Level = LogLevel.Information,
        Message = "Hand-off of shard {Shard} started: {Owner} to {Target} at epoch {Epoch}")]
    public static partial void HandoffStarted(ILogger logger, int shard, string owner, string target, long epoch);

    [LoggerMessage(EventId = 1224, Level = LogLevel.Information,
        Message = "Hand-off of shard {Shard} completed: {Owner} owns it at epoch {Epoch} (from {Previous})")]
    public static partial void HandoffCompleted(ILogger logger, int shard, string owner, long epoch, string previous);

    [LoggerMessage(EventId = 1225, Level = LogLevel.Warning,
        Message = "Hand-off of shard {Shard} from {Owner} to {Target} cancelled: {Reason}")]
    public static partial void HandoffCancelled(ILogger logger, int shard, string owner, string target, string reason);

    [LoggerMessage(EventId = 1226, Level = LogLevel.Warning,
        Message = "Shard {Shard} is unowned: released with no member up to take it")]
    public static partial void ShardUnowned(ILogger logger, int shard);

    [LoggerMessage(EventId = 1227, Level = LogLevel.Information,
        Message = "Rebalance round: {Handoffs} hand-offs started (at most {Limit} per round)")]
    public static partial void RoundStarted(ILogger logger, int handoffs, int limit);

    [LoggerMessage(EventId = 1228, Level = LogLevel.Information,
        Message = "Coordinator tick: {Allocated} shards allocated, {Started} hand-offs started, {Completed} " +
            "completed, {Cancelled} cancelled")]
    public static partial void TickChanged(ILogger logger, int allocated, int started, int completed, int cancelled);

    [LoggerMessage(EventId = 1240, Level = LogLevel.Information,
        Message = "Node {NodeId} is the coordinator (backend pid {Pid})")]
    public static partial void CoordinatorAcquired(ILogger logger, string nodeId, int pid);

    [LoggerMessage(EventId = 1241, Level = LogLevel.Warning,
        Message = "Node {NodeId} is no longer the coordinator: its lock session was lost")]
    public static partial void CoordinatorLost(ILogger logger, string nodeId, Exception exception);

    [LoggerMessage(EventId = 1242, Level = LogLevel.Warning,
        Message = "Node {NodeId} terminated the session (pid {Pid}) of coordinator {Coordinator}, whose heartbeat is " +
            "older than {FailureTimeout}")]
    public static partial void CoordinatorTerminated(ILogger logger, string nodeId, int pid, string coordinator,
        TimeSpan failureTimeout);

    [LoggerMessage(EventId = 1243, Level = LogLevel.Warning,
        Message = "Coordinator tick on node {NodeId} failed; the next tick starts over from the tables")]
    public static partial void TickFailed(ILogger logger, string nodeId, Exception exception);

    [LoggerMessage(EventId = 1244, Level = LogLevel.Warning,
        Message = "Node {NodeId} could not reach the database to try the coordinator lock")]
    public static partial void LockAttemptFailed(ILogger logger, string nodeId, Exception exception);

    [LoggerMessage(EventId = 1245, Level = LogLevel.Information,
        Message = "Node {NodeId} gave up the coordinator lock: {Reason}")]
    public static partial void CoordinatorResigned(ILogger logger, string nodeId, string reason);

    [LoggerMessage(EventId = 1246, Level = LogLevel.Warning,
        Message = "Node {NodeId} terminated the session (pid {Pid}) its previous incarnation held the coordinator " +
            "lock with")]
    public static partial void PreviousCoordinatorTerminated(ILogger logger, string nodeId, int pid);
}
