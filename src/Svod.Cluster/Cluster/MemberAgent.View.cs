using System.Collections.Frozen;
using Npgsql;

namespace Svod.Cluster.Cluster;

public sealed partial class MemberAgent
{
    /// <summary>
    /// Gives up a shard being handed off, after its channels were snapshotted and stopped: <c>owner = NULL</c> where
    /// the shard is still this node's at <paramref name="epoch"/>; the coordinator's next tick gives it to the target
    /// at epoch + 1. The shard leaves the view at once. False when the node no longer owned it at that epoch (fenced).
    /// </summary>
    public async Task<bool> ReleaseAsync(int shardId, long epoch, CancellationToken cancellationToken)
    {
        await using var release = _database.CreateCommand(
            "UPDATE svod.shards SET owner = NULL, updated_at = now() " +
            "WHERE shard_id = $1 AND epoch = $2 AND owner = $3");
        release.Parameters.Add(new NpgsqlParameter { Value = shardId });
        release.Parameters.Add(new NpgsqlParameter { Value = epoch });
        release.Parameters.Add(new NpgsqlParameter { Value = NodeId });
        if (await release.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            ClusterLog.ReleaseFenced(_logger, NodeId, shardId, epoch);
            return false;
        }

        ClusterLog.Released(_logger, NodeId, shardId, epoch);
        lock (_gate)
        {
            _released.Add((shardId, epoch));
            if (_view.Shards.TryGetValue(shardId, out var lease) && lease.Epoch == epoch)
            {
                var shards = _view.Shards.Where(s => s.Key != shardId).ToDictionary();
                Apply(shards, released: [lease]);
            }
        }

        return true;
    }

    /// <summary>Replaces the view when <paramref name="shards"/> differs from it, and tells the handlers what changed.
    /// Called under <see cref="_gate"/>.</summary>
    private void Apply(Dictionary<int, ShardLease> shards, ShardLease[] released)
    {
        var previous = _view;
        List<ShardLease> gained = [], handingOff = [], lost = [], resumed = [];
        foreach (var (id, now) in shards)
        {
            if (!previous.Shards.TryGetValue(id, out var before) || before.Epoch != now.Epoch)
            {
                gained.Add(now);
                if (now.Handoff)
                {
                    handingOff.Add(now);
                }
            }
            else if (now.Handoff && (!before.Handoff || before.HandoffTo != now.HandoffTo))
            {
                handingOff.Add(now);
            }
            else if (!now.Handoff && before.Handoff)
            {
                resumed.Add(now);
            }
        }

        foreach (var (id, before) in previous.Shards)
        {
            if ((!shards.TryGetValue(id, out var now) || now.Epoch != before.Epoch) && !released.Contains(before))
            {
                lost.Add(before);
            }
        }

        if (gained.Count + handingOff.Count + lost.Count + resumed.Count + released.Length == 0)
        {
            return;
        }

        var current = new ShardView(previous.Version + 1, shards.ToFrozenDictionary());
        Volatile.Write(ref _view, current);
        ClusterLog.ViewChanged(_logger, NodeId, current.Version, current.Count, gained.Count, handingOff.Count,
            lost.Count);
        Raise(ViewChanged, new ShardViewChange(previous, current, gained, handingOff, lost, released, resumed));
    }
}
