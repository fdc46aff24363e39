using System.Diagnostics;
using Svod.Client;

using static Svod.IntegrationTests.StreamingHarness;

namespace Svod.IntegrationTests;

/// <summary>Real nodes and a real PostgreSQL under faults other than a node's death: the database restarting, the
/// coordinator dying mid hand-off, a node frozen past the failure timeout. The cluster converges, nothing stale is
/// written, and every utterance ends with offline decoding's final.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFaultTests(ITestOutputHelper output)
{
    /// <summary>How long the cluster has to settle after a fault, well above failure detection (1 s).</summary>
    private static readonly TimeSpan Convergence = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Restarting_PostgreSQL_under_load_loses_no_utterance_and_every_node_stays_up()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 200, seed: 43);
        await using var cluster = await LocalCluster.StartAsync(3);
        if (RequiredTool.Skip(cluster is null ? "PostgreSQL is not installed" : null, output))
        {
            return;
        }

        // The database is down for longer than the lease: every node stops serving, and its utterances wait.
        var options = new SvodClientOptions { ReconnectTimeout = TimeSpan.FromSeconds(30) };
        await using var client = await SvodClient.ConnectAsync([.. cluster!.Nodes.Select(n => n.StreamUri)], options);
        var load = await ClusterLoad.StartAsync(client, utterances, seed: 8);
        await load.SendUntilAsync(0.3, TimeSpan.Zero);
        await Within(Task.WhenAll(load.Watches.Select(w => w.FirstPartial)), "a partial of every utterance");
        var before = await cluster.Tables.ShardsAsync();

        var clock = Stopwatch.StartNew();
        var sending = load.SendUntilAsync(0.8, TimeSpan.FromMilliseconds(100));
        await cluster.Postgres.StopAsync();
        var stoppedAt = clock.Elapsed;
        // Down for longer than the failure timeout: when it is back, every member's last heartbeat is stale.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await cluster.Postgres.RestartAsync();
        cluster.Tables.ForgetConnections();
        var restartedAt = clock.Elapsed;
        await Within(sending, "sending while PostgreSQL restarted");
        await Within(load.FinishAsync(TimeSpan.Zero), "sending the rest");
        await load.AssertFinalsAsync(expected);
        var finishedAt = clock.Elapsed;

        output.WriteLine($"PostgreSQL stopped at {stoppedAt.TotalSeconds:F2} s, back at " +
            $"{restartedAt.TotalSeconds:F2} s; every final by {finishedAt.TotalSeconds:F2} s; " +
            $"{load.Streams.Count(s => s.Replays > 0)} utterances replayed");
        // Nobody was marked down for the outage: the same owners at the same epochs, the same three nodes.
        Assert.All(cluster.Nodes, n => Assert.False(n.HasExited, $"{n.NodeId} exited:\n{n.Output}"));
        await cluster.WaitBalancedAsync(3);
        var after = await cluster.Tables.ShardsAsync();
        Assert.Equal(before.Select(s => (s.Owner, s.Epoch)), after.Select(s => (s.Owner, s.Epoch)));
    }

    [Fact]
    public async Task Killing_the_coordinator_during_hand_offs_converges_with_every_shard_owned_once()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 200, seed: 47);
        await using var cluster = await LocalCluster.StartAsync(3);
        if (RequiredTool.Skip(cluster is null ? "PostgreSQL is not installed" : null, output))
        {
            return;
        }

        await using var client = await SvodClient.ConnectAsync([.. cluster!.Nodes.Select(n => n.StreamUri)]);
        var load = await ClusterLoad.StartAsync(client, utterances, seed: 9);
        await load.SendUntilAsync(0.3, TimeSpan.Zero);
        await Within(Task.WhenAll(load.Watches.Select(w => w.FirstPartial)), "a partial of every utterance");
        var coordinator = await cluster.CoordinatorAsync();

        await using var history = ShardHistory.Start(cluster.Tables);
        var sending = load.SendUntilAsync(0.8, TimeSpan.FromMilliseconds(100));
        var joined = await cluster.AddNodeAsync();
        await WaitUntilAsync(async () =>
        {
            Assert.False(joined.HasExited, $"the fourth node exited:\n{joined.Output}");
            // Either phase of a hand-off: the owner still flushing, or released and waiting for the next tick to
            // name the new owner (every hand-off passes through that one, which only a coordinator can finish).
            return (await cluster.Tables.ShardsAsync()).Any(s => s.State == "handoff");
        }, "a hand-off to the fourth node in flight", Convergence);
        await coordinator.KillAsync();
        var atKill = await cluster.Tables.ShardsAsync();
        output.WriteLine($"killed coordinator {coordinator.NodeId} with hand-offs in flight: " +
            string.Join(", ", atKill.Where(s => s.State == "handoff")
                .Select(s => $"{s.Shard} {s.Owner ?? "(released)"}→{s.HandoffTo}@{s.Epoch}")));

        var survivors = cluster.Nodes.Where(n => n != coordinator).Select(n => n.NodeId)
            .ToHashSet(StringComparer.Ordinal);
        ShardRow[] settled = [];
        var clock = Stopwatch.StartNew();
        await WaitUntilAsync(async () =>
        {
            var members = await cluster.Tables.MemberStatesAsync();
            settled = await cluster.Tables.ShardsAsync();
            var counts = settled.GroupBy(s => s.Owner).Select(g => g.Count()).ToArray();
            return members[coordinator.NodeId] == "down" &&
                survivors.All(n => members[n] == "up") &&
                settled.All(s => s.State == "owned" && s.Owner is { } owner && survivors.Contains(owner)) &&
                counts.Length == 3 && counts.Max() - counts.Min() <= 1;
        }, "the three survivors owning every shard once, balanced", Convergence);
        output.WriteLine($"settled {clock.Elapsed.TotalSeconds:F2} s after the kill: " +
            string.Join(", ", settled.GroupBy(s => s.Owner).Select(g => $"{g.Key} {g.Count()}")));
        await history.StopAsync();
        history.AssertNeverTwoOwners();
        var next = await cluster.CoordinatorAsync();
        Assert.NotEqual(coordinator, next);
        Assert.Contains(settled, s => s.Owner == joined.NodeId);

        await Within(sending, "sending while the coordinator died");
        await Within(load.FinishAsync(TimeSpan.Zero), "sending the rest");
        await load.AssertFinalsAsync(expected);
    }

    [Fact]
    public async Task A_node_paused_past_its_lease_but_not_the_failure_timeout_keeps_its_shards_and_every_final()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 200, seed: 59);
        await using var cluster = await LocalCluster.StartAsync(3);
        if (RequiredTool.Skip(cluster is null ? "PostgreSQL is not installed" : null, output))
        {
            return;
        }

        await using var client = await SvodClient.ConnectAsync([.. cluster!.Nodes.Select(n => n.StreamUri)]);
        var load = await ClusterLoad.StartAsync(client, utterances, seed: 11);
        await load.SendUntilAsync(0.3, TimeSpan.Zero);
        await Within(Task.WhenAll(load.Watches.Select(w => w.FirstPartial)), "a partial of every utterance");
        var before = await cluster.Tables.ShardsAsync();
        var coordinator = await cluster.CoordinatorAsync();
        var victim = cluster.Nodes.First(n => n != coordinator);
        var onVictim = load.Streams.Where(s => s.Node == victim.StreamUri).ToArray();

        // Frozen for longer than its lease (600 ms from its last heartbeat): back, it stops every utterance
        // (UNAVAILABLE) and renews at its next heartbeat, before anyone could mark it down (1 s after the last one);
        // its clients come straight back to it, and find their ids free.
        var sending = load.SendUntilAsync(0.8, TimeSpan.FromMilliseconds(50));
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        victim.Pause();
        await Task.Delay(TimeSpan.FromMilliseconds(650));
        victim.Resume();
        await Within(sending, "sending while a node was paused");
        await Within(load.FinishAsync(TimeSpan.Zero), "sending the rest");
        await load.AssertFinalsAsync(expected);

        output.WriteLine($"{onVictim.Length} utterances on the paused node, {onVictim.Count(s => s.Replays > 0)} " +
            $"replayed; lease lost {victim.CountOutput("[1204]")} times, renewed {victim.CountOutput("[1206]")} times");
        var after = await cluster.Tables.ShardsAsync();
        Assert.Equal(before.Select(s => (s.Owner, s.Epoch)), after.Select(s => (s.Owner, s.Epoch)));
    }

    [Fact]
    public async Task A_node_paused_past_the_failure_timeout_loses_its_shards_writes_nothing_stale_and_rejoins()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 200, seed: 53);
        await using var cluster = await LocalCluster.StartAsync(3);
        if (RequiredTool.Skip(cluster is null ? "PostgreSQL is not installed" : null, output))
        {
            return;
        }

        // Pings find the frozen node: a paused process keeps its sockets open, and TCP alone would wait for ever.
        var options = new SvodClientOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(250),
            KeepAliveTimeout = TimeSpan.FromSeconds(1),
        };
        await using var client = await SvodClient.ConnectAsync([.. cluster!.Nodes.Select(n => n.StreamUri)], options);
        var load = await ClusterLoad.StartAsync(client, utterances, seed: 10);
        await load.SendUntilAsync(0.3, TimeSpan.Zero);
        await Within(Task.WhenAll(load.Watches.Select(w => w.FirstPartial)), "a partial of every utterance");

        // Not the coordinator: this test is about the paused node's own writes, not about a coordinator's take-over.
        var coordinator = await cluster.CoordinatorAsync();
        var victim = cluster.Nodes.Where(n => n != coordinator)
            .MaxBy(n => load.Streams.Count(s => s.Node == n.StreamUri))!;
        var onVictim = load.Streams.Where(s => s.Node == victim.StreamUri).ToArray();
        var sending = load.SendUntilAsync(0.6, TimeSpan.FromMilliseconds(50));
        await Task.Delay(TimeSpan.FromMilliseconds(200)); // frames in flight, channels dirty
        var owned = (await cluster.Tables.ShardsAsync()).Where(s => s.Owner == victim.NodeId)
            .Select(s => (s.Shard, s.Epoch)).ToArray();
        victim.Pause();
        var clock = Stopwatch.StartNew();
        output.WriteLine($"paused {victim.NodeId} with {onVictim.Length} utterances and {owned.Length} shards");

        // Its utterances finish elsewhere while it is frozen: no result can come from it.
        await Within(sending, "sending while a node is paused");
        await Within(load.FinishAsync(TimeSpan.Zero), "sending the rest while a node is paused");
        await load.AssertFinalsAsync(expected);
        output.WriteLine($"every final {clock.Elapsed.TotalSeconds:F2} s after the pause");
        Assert.NotEmpty(onVictim);
        Assert.All(onVictim, s => Assert.True(s.Replays > 0, $"{s.UtteranceId} was not replayed"));
        await WaitUntilAsync(async () =>
        {
            var shards = await cluster.Tables.ShardsAsync();
            return (await cluster.Tables.MemberStatesAsync())[victim.NodeId] == "down" &&
                owned.All(o => shards[o.Shard].Owner != victim.NodeId && shards[o.Shard].Epoch > o.Epoch);
        }, "the paused node marked down and its shards owned by others at a higher epoch", Convergence);

        // Whatever it writes from now on carries epochs that are no longer current: the fence must stop all of it.
        var resumedAt = await cluster.Tables.NowAsync();
        victim.Resume();
        var exit = await victim.ExitCodeAsync(Convergence);
        output.WriteLine($"resumed after {clock.Elapsed.TotalSeconds:F2} s; it exited with {exit}:\n" +
            string.Join('\n', victim.Output.Split('\n').TakeLast(15)));
        Assert.Empty(await cluster.Tables.SnapshotsWrittenAtAsync(owned, resumedAt));
        Assert.Equal(75, exit); // marked down: it stops serving and exits for its supervisor to start it again

        // Marked down is for good for that process: restarted, it joins as a new incarnation and gets shards again.
        var back = await cluster.AddNodeAsync(victim.Port);
        await cluster.WaitBalancedAsync(3);
        Assert.True((await cluster.Tables.ShardsAsync()).Count(s => s.Owner == back.NodeId) >= 10);
    }
}
