using Npgsql;
using Svod.Cluster.Cluster;
using Svod.Cluster.Configuration;
using Svod.Cluster.Tests.Actors;
using Xunit.Abstractions;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>Joining, balancing, leaving and rejoining, with real agents and coordinators on one database.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MembershipTests(ClusterDatabase postgres, ITestOutputHelper output)
    : ClusterTestBase(postgres, output), IClassFixture<ClusterDatabase>
{
    [Fact]
    public async Task Three_members_share_64_shards_21_21_22_each_owned_once()
    {
        if (Skip())
        {
            return;
        }

        await StartAsync("a", "b", "c");
        var tables = await Eventually.UntilTables(Database!, t => t.SettledAs(21, 21, 22), "three members settling");

        Assert.Single(tables.Members, m => m.Coordinator);
        Assert.All(tables.Shards, s => Assert.Equal(1, s.Epoch));
        await Eventually.Until(() => Nodes.Sum(n => n.Agent.View.Count) == 64, "agents seeing their shards");
        var views = Nodes.SelectMany(n => n.Agent.View.Shards.Keys.Select(s => (Shard: s, n.Id))).ToArray();
        Assert.Equal(Enumerable.Range(0, 64), views.Select(v => v.Shard).Order());
        Assert.All(views, v => Assert.Equal(tables.Shards[v.Shard].Owner, v.Id));
        Assert.All(tables.Members, m => Assert.Equal(m.NodeId == "a" ? 22 : 21, m.Shards));
        Ownership.AssertNeverTwoOwners();
    }

    [Fact]
    public async Task A_fourth_member_is_balanced_within_two_rounds()
    {
        if (Skip())
        {
            return;
        }

        // 16 shards must move to the fourth member; 13 per round (min(20, ceil(0.2 × 64))) takes two rounds.
        Options.RebalanceRelativeLimit = 0.2;
        await StartAsync("a", "b", "c");
        await Eventually.UntilTables(Database!, t => t.SettledAs(21, 21, 22), "three members settling");
        var roundsBefore = Logs.WithEventId(1227).Count();
        var handoffsBefore = Logs.WithEventId(1223).Count();

        await StartAsync("d");
        await Eventually.UntilTables(Database!, t => t.SettledAs(16, 16, 16, 16), "four members settling");

        var rounds = Logs.WithEventId(1227).Count() - roundsBefore;
        var handoffs = Logs.WithEventId(1223).Count() - handoffsBefore;
        Output.WriteLine($"{rounds} rounds, {handoffs} hand-offs");
        Assert.Equal(16, handoffs);
        Assert.InRange(rounds, 1, 2);
        await Eventually.Until(() => Nodes[3].Agent.View.Count == 16, "the fourth member seeing its shards");
        Ownership.AssertNeverTwoOwners();
    }

    [Fact]
    public async Task Graceful_leave_hands_every_shard_off_and_ends_removed()
    {
        if (Skip())
        {
            return;
        }

        await StartAsync("a", "b", "c");
        await Eventually.UntilTables(Database!, t => t.SettledAs(21, 21, 22), "three members settling");
        var leaver = Nodes[1];
        var shardsOfLeaver = leaver.Agent.View.Shards.Values.ToArray();

        using var deadline = new CancellationTokenSource(Eventually.Limit);
        await leaver.Agent.LeaveAsync(deadline.Token);

        Assert.True(leaver.Agent.HasLeft);
        Assert.False(leaver.Agent.IsLeaseValid);
        Assert.Equal(0, leaver.Agent.View.Count);
        var tables = await Eventually.UntilTables(Database!, t => t.SettledAs(32, 32), "two members settling");
        Assert.Equal(MemberState.Removed, tables.StateOf("b"));
        Assert.All(shardsOfLeaver, s => Assert.Equal(s.Epoch + 1, tables.Shards[s.ShardId].Epoch));
        Ownership.AssertNeverTwoOwners();
        Ownership.AssertGapsAtMost(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_node_rejoining_with_the_same_id_bumps_its_epochs_and_shuts_out_the_old_process()
    {
        if (Skip())
        {
            return;
        }

        var old = await StartAsync("a");
        await Eventually.Until(() => old.Coordinator!.IsCoordinator, "a becoming the coordinator");
        await StartAsync("b");
        // The row must name a's session before the join reads it: a tick writes it after the lock is taken.
        var before = await Eventually.UntilTables(Database!,
            t => t.SettledAs(32, 32) && t.Members.Any(m => m.NodeId == "a" && m.Coordinator),
            "two members settling, a the coordinator on record");
        var oldPid = old.Coordinator!.BackendPid!.Value;
        var lostForGood = new TaskCompletionSource<LeaseLoss>(TaskCreationOptions.RunContinuationsAsynchronously);
        old.Agent.LeaseLost += loss => lostForGood.TrySetResult(loss);
        var shardsOfA = before.Shards.Where(s => s.Owner == "a").ToArray();

        // A second process with the same node id: the earlier one is fenced (epochs) and shut out (incarnation).
        var again = await StartAsync("a");

        Assert.Equal(shardsOfA.Select(s => (s.ShardId, s.Epoch + 1)),
            again.Agent.View.Shards.Values.Select(s => (s.ShardId, s.Epoch)).Order());
        var loss = await TestWait.For(lostForGood.Task, "the old process noticing it was taken over");
        Assert.True(loss.Permanent);
        Assert.True(old.Agent.IsLostForGood);
        Assert.Equal(0, old.Agent.View.Count);
        Assert.False(await old.Agent.ReleaseAsync(shardsOfA[0].ShardId, shardsOfA[0].Epoch, CancellationToken.None));
        // Its coordinator session, which nobody could have found stale (the row is fresh), was ended by the join.
        Assert.Contains(Logs.WithEventId(1246), e => e.Message.Contains($"pid {oldPid}", StringComparison.Ordinal));
        var after = await Eventually.UntilTables(Database!,
            t => t.SettledAs(32, 32) && t.Members.Any(m => m.Coordinator),
            "a new coordinator, shards staying where they were");
        Assert.Equal(shardsOfA.Select(s => (s.ShardId, "a", s.Epoch + 1)),
            after.Shards.Where(s => s.Owner == "a").Select(s => (s.ShardId, s.Owner!, s.Epoch)));
    }

    [Fact]
    public async Task A_node_configured_with_another_shard_count_is_refused()
    {
        if (Skip())
        {
            return;
        }

        await ShardTable.EnsureAsync(Database!, 64, CancellationToken.None);
        await ShardTable.EnsureAsync(Database!, 64, CancellationToken.None);
        Options.Shards = 32;
        var refused = await Assert.ThrowsAsync<ConfigurationException>(() => StartAsync("a"));

        Assert.Contains("svod.cluster.shards", refused.Message, StringComparison.Ordinal);
        Assert.Contains("32", refused.Message, StringComparison.Ordinal);
        Assert.Contains("64", refused.Message, StringComparison.Ordinal);
        var tables = await Tables.ReadAsync(Database!);
        Assert.Empty(tables.Members);
        Assert.Equal(Enumerable.Range(0, 64), tables.Shards.Select(s => s.ShardId));
        Assert.All(tables.Shards, s => Assert.Equal((null, 0L, ShardState.Unowned), (s.Owner, s.Epoch, s.State)));
    }
}
