using System.Diagnostics;
using Svod.Cluster.Cluster;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>
/// When each node served each shard, from the agents' own events: from the view that gained it until the view that
/// dropped it (released, lost) or the end of the node's lease (lost, or the node killed). Answers whether two nodes
/// ever served a shard at the same instant, and how long a shard went unserved.
/// </summary>
internal sealed class OwnershipLog
{
    private readonly Lock _gate = new();
    private readonly List<Interval> _intervals = [];
    private readonly Dictionary<(string Node, int Shard), Interval> _open = [];

    public void Watch(MemberAgent agent)
    {
        agent.ViewChanged += change =>
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                foreach (var lease in change.Lost.Concat(change.Released))
                {
                    Close(agent.NodeId, lease.ShardId, now);
                }

                foreach (var lease in change.Gained)
                {
                    Close(agent.NodeId, lease.ShardId, now);
                    var interval = new Interval(agent.NodeId, lease.ShardId, lease.Epoch, now);
                    _open[(agent.NodeId, lease.ShardId)] = interval;
                    _intervals.Add(interval);
                }
            }
        };
        agent.LeaseLost += loss => Stopped(agent.NodeId, loss.ExpiredAt);
    }

    /// <summary>The node stopped serving everything at <paramref name="timestamp"/> (killed: its lease end).</summary>
    public void Stopped(string node, long timestamp)
    {
        lock (_gate)
        {
            foreach (var key in _open.Keys.Where(k => k.Node == node).ToArray())
            {
                Close(node, key.Shard, timestamp);
            }
        }
    }

    /// <summary>Fails when two nodes served one shard at the same instant.</summary>
    public void AssertNeverTwoOwners()
    {
        lock (_gate)
        {
            foreach (var shard in _intervals.GroupBy(i => i.Shard))
            {
                var ordered = shard.OrderBy(i => i.Start).ToArray();
                for (var i = 1; i < ordered.Length; i++)
                {
                    var (before, after) = (ordered[i - 1], ordered[i]);
                    Assert.True(before.End is { } end && end <= after.Start,
                        $"shard {shard.Key}: {before} overlaps {after}");
                }
            }
        }
    }

    /// <summary>Fails when a shard went unserved longer than <paramref name="limit"/> between two owners.</summary>
    public void AssertGapsAtMost(TimeSpan limit)
    {
        lock (_gate)
        {
            foreach (var shard in _intervals.GroupBy(i => i.Shard))
            {
                var ordered = shard.OrderBy(i => i.Start).ToArray();
                for (var i = 1; i < ordered.Length; i++)
                {
                    var gap = Stopwatch.GetElapsedTime(ordered[i - 1].End ?? ordered[i].Start, ordered[i].Start);
                    Assert.True(gap <= limit,
                        $"shard {shard.Key} unserved for {gap.TotalMilliseconds:F0} ms between {ordered[i - 1]} and " +
                        $"{ordered[i]}");
                }
            }
        }
    }

    /// <summary>Shard → the nodes serving it now (open intervals).</summary>
    public ILookup<int, string> Serving()
    {
        lock (_gate)
        {
            return _open.Keys.ToLookup(k => k.Shard, k => k.Node);
        }
    }

    private void Close(string node, int shard, long timestamp)
    {
        if (_open.Remove((node, shard), out var interval))
        {
            interval.End = Math.Max(interval.Start, timestamp);
        }
    }

    private sealed class Interval(string node, int shard, long epoch, long start)
    {
        public string Node { get; } = node;

        public int Shard { get; } = shard;

        public long Epoch { get; } = epoch;

        public long Start { get; } = start;

        public long? End { get; set; }

        public override string ToString() => $"{Node}@{Epoch} [{Milliseconds(Start)}, " +
            $"{(End is { } end ? Milliseconds(end) : "open")}]";

        private static string Milliseconds(long timestamp) =>
            $"{timestamp * 1000 / Stopwatch.Frequency} ms";
    }
}
