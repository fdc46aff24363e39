using System.Diagnostics;
using Svod.Client;

using static Svod.IntegrationTests.StreamingHarness;

namespace Svod.IntegrationTests;

/// <summary>A node joining a cluster under load: the shards spread to it in few rounds, and the utterances on the
/// shards that move go on from their snapshots on the new owner with the same finals as offline decoding.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterJoinTests(ITestOutputHelper output)
{
    /// <summary>The coordinator's log event "Rebalance round: N hand-offs started".</summary>
    private const string RoundStarted = "[1227]";

    [Fact]
    public async Task A_fourth_node_joining_under_load_is_balanced_within_two_rounds_and_no_final_changes()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 300, seed: 41);
        await using var cluster = await LocalCluster.StartAsync(3);
        if (RequiredTool.Skip(cluster is null ? "PostgreSQL is not installed" : null, output))
        {
            return;
        }

        await using var client = await SvodClient.ConnectAsync([.. cluster!.Nodes.Select(n => n.StreamUri)]);
        var load = await ClusterLoad.StartAsync(client, utterances, seed: 7);
        await load.SendUntilAsync(0.3, TimeSpan.Zero);
        await Within(Task.WhenAll(load.Watches.Select(w => w.FirstPartial)), "a partial of every utterance");
        var before = await cluster.Tables.ShardsAsync();
        var roundsBefore = cluster.Nodes.Sum(n => n.CountOutput(RoundStarted));

        // 11, 11, 10 shards → 8 each: 8 hand-offs, at most min(20, ceil(0.1 × 32)) = 4 per round.
        await using var history = ShardHistory.Start(cluster.Tables);
        var clock = Stopwatch.StartNew();
        var sending = load.SendUntilAsync(0.8, TimeSpan.FromMilliseconds(100));
        var joined = await cluster.AddNodeAsync();
        var joinedAt = clock.Elapsed;
        await cluster.WaitBalancedAsync(4);
        var balancedAt = clock.Elapsed;
        await history.StopAsync();
        var after = await cluster.Tables.ShardsAsync();
        await Within(sending, "sending while the fourth node joined");
        var sentAt = clock.Elapsed;
        await Within(load.FinishAsync(TimeSpan.Zero), "sending the rest");
        await load.AssertFinalsAsync(expected);

        var rounds = cluster.Nodes.Sum(n => n.CountOutput(RoundStarted)) - roundsBefore;
        var moved = after.Where(s => s.Epoch != before[s.Shard].Epoch).ToArray();
        output.WriteLine($"joined at {joinedAt.TotalSeconds:F2} s, balanced at {balancedAt.TotalSeconds:F2} s, " +
            $"middle part sent at {sentAt.TotalSeconds:F2} s; {moved.Length} shards moved in {rounds} rounds " +
            $"({history.HandoffRoundsSeen} seen in {history.Samples} samples of the table); " +
            $"{load.Streams.Sum(s => s.Replays)} replays");
        Assert.All(after, s => Assert.InRange(s.Epoch - before[s.Shard].Epoch, 0, 1));
        Assert.All(moved, s => Assert.Equal(joined.NodeId, s.Owner));
        Assert.Equal(8, moved.Length);
        Assert.Equal(2, rounds);
        Assert.InRange(history.HandoffRoundsSeen, 1, 2);
        history.AssertNeverTwoOwners();
        Assert.True(load.Streams.Sum(s => s.Replays) > 0, "no utterance was moved to the new node mid-stream");
    }
}
