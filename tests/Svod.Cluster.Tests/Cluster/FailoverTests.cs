using System.Diagnostics;
using Npgsql;
using Svod.Cluster.Cluster;
using Svod.Cluster.Configuration;
using Svod.Cluster.Tests.Actors;
using Xunit.Abstractions;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>Nodes and coordinators that stop, pause or die: leases end first, shards move at the next epoch, another
/// coordinator continues from the tables.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FailoverTests(ClusterDatabase postgres, ITestOutputHelper output)
    : IClassFixture<ClusterDatabase>, IAsyncLifetime
{
    private readonly CapturedLogs _logs = new();
    private readonly OwnershipLog _ownership = new();
    private readonly List<TestNode> _nodes = [];
    private NpgsqlDataSource? _tables;
    private ClusterOptions _options = new();

    private bool Skipped => postgres.Server is null;

    /// <summary>Longest a shard may go unserved: failure-timeout, a tick, a heartbeat, and slack for a busy machine.
    /// </summary>
    private TimeSpan FailureDetection => _options.FailureTimeout + _options.CoordinatorInterval +
        _options.HeartbeatInterval + TimeSpan.FromMilliseconds(600);

    public async Task InitializeAsync()
    {
        if (Skipped)
        {
            return;
        }

        _options = ClusterDatabase.Options(await postgres.CreateAsync());
        _tables = NpgsqlDataSource.Create(_options.Postgres);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (_tables is not null)
        {
            await _tables.DisposeAsync();
        }

        foreach (var entry in _logs.Entries)
        {
            output.WriteLine($"{entry.Level} {entry.EventId.Id} {entry.Message}");
        }
    }

    [Fact]
    public async Task A_node_whose_heartbeats_stop_loses_its_lease_before_it_is_marked_down()
    {
        if (Skip())
        {
            return;
        }

        await StartAsync("a", "b", "c");
        var before = await Eventually.UntilTables(_tables!, t => t.SettledAs(21, 21, 22), "three members settling");
        // Not the coordinator: the test is about the member, not a coordinator hand-over.
        var victim = _nodes.First(n => !n.Coordinator!.IsCoordinator);
        var leaseLost = new TaskCompletionSource<(LeaseLoss Loss, long RaisedAt)>(
            TaskCreationOptions.RunContinuationsAsynchronously);
        victim.Agent.LeaseLost += loss => leaseLost.TrySetResult((loss, Stopwatch.GetTimestamp()));

        await victim.Agent.PauseHeartbeatsAsync();
        var leaseEnd = victim.Agent.LeaseExpiresAt;
        var down = await Eventually.UntilTables(_tables!, t => t.StateOf(victim.Id) == MemberState.Down,
            $"{victim.Id} marked down");
        var downSeenAt = Stopwatch.GetTimestamp();

        Assert.True(leaseLost.Task.IsCompleted, "the lease was still valid when the node was marked down");
        var (loss, raisedAt) = await leaseLost.Task;
        output.WriteLine($"lease ended {Stopwatch.GetElapsedTime(leaseEnd, downSeenAt).TotalMilliseconds:F0} ms " +
            $"before the down was seen");
        Assert.False(loss.Permanent);
        Assert.Equal(leaseEnd, loss.ExpiredAt);
        Assert.True(leaseEnd < downSeenAt && raisedAt < downSeenAt);
        Assert.False(victim.Agent.IsLeaseValid);

        var after = await Eventually.UntilTables(_tables!, t => t.SettledAs(32, 32), "its shards moving to the others");
        var moved = before.Shards.Where(s => s.Owner == victim.Id).ToArray();
        Assert.All(moved, s => Assert.Equal(s.Epoch + 1, after.Shards[s.ShardId].Epoch));
        Assert.DoesNotContain(down.Members, m => m.NodeId != victim.Id && m.State != MemberState.Up);
        await Eventually.Until(() => _nodes.Where(n => n != victim).Sum(n => n.Agent.View.Count) == 64,
            "the others serving every shard");
        _ownership.AssertNeverTwoOwners();
        _ownership.AssertGapsAtMost(FailureDetection);
    }

    [Fact]
    public async Task A_paused_coordinator_is_terminated_by_another_node_which_takes_over()
    {
        if (Skip())
        {
            return;
        }

        await StartAsync("a", "b", "c");
        await Eventually.UntilTables(_tables!, t => t.SettledAs(21, 21, 22), "three members settling");
        var paused = _nodes.Single(n => n.Coordinator!.IsCoordinator);
        var pid = paused.Coordinator!.BackendPid!.Value;

        // A paused process: no heartbeats, so no ticks either (its lease runs out), but its session and lock stay.
        await paused.Agent.PauseHeartbeatsAsync();
        var tables = await Eventually.UntilTables(_tables!,
            t => t.StateOf(paused.Id) == MemberState.Down && t.SettledAs(32, 32) &&
                t.Members.Any(m => m.Coordinator && m.NodeId != paused.Id),
            "another node coordinating, the paused one down");

        var successor = _nodes.Single(n => n.Id == tables.Members.Single(m => m.Coordinator).NodeId);
        Assert.True(successor.Coordinator!.IsCoordinator);
        // The node that ended the session logs it when pg_terminate_backend returns, which can be after another
        // node already took the freed lock.
        await Eventually.Until(() => _logs.WithEventId(1242).Any(
                e => e.Message.Contains($"(pid {pid}) of coordinator {paused.Id}", StringComparison.Ordinal)),
            "the termination logged");
        await using (var sessions = _tables!.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = $1"))
        {
            sessions.Parameters.Add(new NpgsqlParameter { Value = pid });
            Assert.Equal(0L, await sessions.ExecuteScalarAsync());
        }

        // The paused node's coordinator finds its session gone at its next use and does not get the lock back.
        await Eventually.Until(() => !paused.Coordinator.IsCoordinator, "the paused coordinator noticing");
        _ownership.AssertNeverTwoOwners();
        _ownership.AssertGapsAtMost(FailureDetection);
    }

    [Fact]
    public async Task A_coordinator_killed_mid_hand_off_is_continued_by_another()
    {
        if (Skip())
        {
            return;
        }

        // Owners take 300 ms to release (their snapshots), so hand-offs are in flight when the coordinator dies.
        var release = TimeSpan.FromMilliseconds(300);
        await StartAsync(release, "a", "b", "c");
        await Eventually.UntilTables(_tables!, t => t.SettledAs(21, 21, 22), "three members settling");
        await StartAsync(release, "d");
        var inFlight = await Eventually.UntilTables(_tables!,
            t => t.Shards.Any(s => s.State == ShardState.Handoff && s.Owner is not null), "a hand-off in flight");
        var coordinator = _nodes.Single(n => n.Coordinator!.IsCoordinator);
        await coordinator.KillAsync();
        output.WriteLine($"killed {coordinator.Id} with {inFlight}");

        var tables = await Eventually.UntilTables(_tables!,
            t => t.SettledAs(21, 21, 22) && t.StateOf(coordinator.Id) == MemberState.Down,
            "the survivors settling under a new coordinator");
        Assert.DoesNotContain(tables.Members, m => m.Coordinator && m.NodeId == coordinator.Id);
        await Eventually.Until(() => _nodes.Where(n => n != coordinator).Sum(n => n.Agent.View.Count) == 64,
            "the survivors serving every shard");
        _ownership.AssertNeverTwoOwners();
        _ownership.AssertGapsAtMost(FailureDetection);
        Assert.All(_ownership.Serving(), s => Assert.Single(s));
    }

    private bool Skip() =>
        RequiredTool.Skip(Skipped ? "PostgreSQL is not installed (apt-get install postgresql)" : null, output);

    private Task StartAsync(params string[] ids) => StartAsync(TimeSpan.Zero, ids);

    /// <summary>Joins every node first, then starts their coordinators: the first tick sees them all.</summary>
    private async Task StartAsync(TimeSpan releaseDelay, params string[] ids)
    {
        var nodes = new List<TestNode>();
        foreach (var id in ids)
        {
            var node = await TestNode.JoinAsync(id, _options, _logs, _ownership, releaseDelay);
            _nodes.Add(node);
            nodes.Add(node);
        }

        nodes.ForEach(n => n.StartCoordinator());
    }
}
