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
    : ClusterTestBase(postgres, output), IClassFixture<ClusterDatabase>
{
    /// <summary>Longest a shard may go unserved: failure-timeout, a tick, a heartbeat, and slack for a busy machine.
    /// </summary>
    private TimeSpan FailureDetection => Options.FailureTimeout + Options.CoordinatorInterval +
        Options.HeartbeatInterval + TimeSpan.FromMilliseconds(600);

    [Fact]
    public async Task A_node_whose_heartbeats_stop_loses_its_lease_before_it_is_marked_down()
    {
        if (Skip())
        {
            return;
        }

        await StartAsync("a", "b", "c");
        var before = await Eventually.UntilTables(Database!, t => t.SettledAs(21, 21, 22), "three members settling");
        // Not the coordinator: the test is about the member, not a coordinator hand-over.
        var victim = Nodes.First(n => !n.Coordinator!.IsCoordinator);
        var leaseLost = new TaskCompletionSource<(LeaseLoss Loss, long RaisedAt)>(
            TaskCreationOptions.RunContinuationsAsynchronously);
        victim.Agent.LeaseLost += loss => leaseLost.TrySetResult((loss, Stopwatch.GetTimestamp()));

        await victim.Agent.PauseHeartbeatsAsync();
        var leaseEnd = victim.Agent.LeaseExpiresAt;
        var down = await Eventually.UntilTables(Database!, t => t.StateOf(victim.Id) == MemberState.Down,
            $"{victim.Id} marked down");
        var downSeenAt = Stopwatch.GetTimestamp();

        Assert.True(leaseLost.Task.IsCompleted, "the lease was still valid when the node was marked down");
        var (loss, raisedAt) = await leaseLost.Task;
        Output.WriteLine($"lease ended {Stopwatch.GetElapsedTime(leaseEnd, downSeenAt).TotalMilliseconds:F0} ms " +
            $"before the down was seen");
        Assert.False(loss.Permanent);
        Assert.Equal(leaseEnd, loss.ExpiredAt);
        Assert.True(leaseEnd < downSeenAt && raisedAt < downSeenAt);
        Assert.False(victim.Agent.IsLeaseValid);

        var after = await Eventually.UntilTables(Database!, t => t.SettledAs(32, 32), "its shards moving to the others");
        var moved = before.Shards.Where(s => s.Owner == victim.Id).ToArray();
        Assert.All(moved, s => Assert.Equal(s.Epoch + 1, after.Shards[s.ShardId].Epoch));
        Assert.DoesNotContain(down.Members, m => m.NodeId != victim.Id && m.State != MemberState.Up);
        await Eventually.Until(() => Nodes.Where(n => n != victim).Sum(n => n.Agent.View.Count) == 64,
            "the others serving every shard");
        Ownership.AssertNeverTwoOwners();
        Ownership.AssertGapsAtMost(FailureDetection);
    }

    [Fact]
    public async Task A_paused_coordinator_is_terminated_by_another_node_which_takes_over()
    {
        if (Skip())
        {
            return;
        }

        await StartAsync("a", "b", "c");
        await Eventually.UntilTables(Database!, t => t.SettledAs(21, 21, 22), "three members settling");
        var paused = Nodes.Single(n => n.Coordinator!.IsCoordinator);
        var pid = paused.Coordinator!.BackendPid!.Value;

        // A paused process: no heartbeats, so no ticks either (its lease runs out), but its session and lock stay.
        await paused.Agent.PauseHeartbeatsAsync();
        var tables = await Eventually.UntilTables(Database!,
            t => t.StateOf(paused.Id) == MemberState.Down && t.SettledAs(32, 32) &&
                t.Members.Any(m => m.Coordinator && m.NodeId != paused.Id),
            "another node coordinating, the paused one down");

        var successor = Nodes.Single(n => n.Id == tables.Members.Single(m => m.Coordinator).NodeId);
        Assert.True(successor.Coordinator!.IsCoordinator);
        // The node that ended the session logs it when pg_terminate_backend returns, which can be after another
        // node already took the freed lock.
        await Eventually.Until(() => Logs.WithEventId(1242).Any(
                e => e.Message.Contains($"(pid {pid}) of coordinator {paused.Id}", StringComparison.Ordinal)),
            "the termination logged");
        await using (var sessions = Database!.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = $1"))
        {
            sessions.Parameters.Add(new NpgsqlParameter { Value = pid });
            Assert.Equal(0L, await sessions.ExecuteScalarAsync());
        }

        // The paused node's coordinator finds its session gone at its next use and does not get the lock back.
        await Eventually.Until(() => !paused.Coordinator.IsCoordinator, "the paused coordinator noticing");
        Ownership.AssertNeverTwoOwners();
        Ownership.AssertGapsAtMost(FailureDetection);
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
        await Eventually.UntilTables(Database!, t => t.SettledAs(21, 21, 22), "three members settling");
        await StartAsync(release, "d");
        var inFlight = await Eventually.UntilTables(Database!,
            t => t.Shards.Any(s => s.State == ShardState.Handoff && s.Owner is not null), "a hand-off in flight");
        var coordinator = Nodes.Single(n => n.Coordinator!.IsCoordinator);
        await coordinator.KillAsync();
        Output.WriteLine($"killed {coordinator.Id} with {inFlight}");

        var tables = await Eventually.UntilTables(Database!,
            t => t.SettledAs(21, 21, 22) && t.StateOf(coordinator.Id) == MemberState.Down,
            "the survivors settling under a new coordinator");
        Assert.DoesNotContain(tables.Members, m => m.Coordinator && m.NodeId == coordinator.Id);
        await Eventually.Until(() => Nodes.Where(n => n != coordinator).Sum(n => n.Agent.View.Count) == 64,
            "the survivors serving every shard");
        Ownership.AssertNeverTwoOwners();
        Ownership.AssertGapsAtMost(FailureDetection);
        Assert.All(Ownership.Serving(), s => Assert.Single(s));
    }
}
