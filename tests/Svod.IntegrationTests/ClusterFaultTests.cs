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
