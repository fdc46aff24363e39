using Svod.Client;
using Svod.Gpu.Demo;
using Xunit.Abstractions;

using static Svod.IntegrationTests.StreamingHarness;

namespace Svod.IntegrationTests;

/// <summary>Real nodes, a real PostgreSQL: utterances survive the loss of the node decoding them with the same
/// finals as offline decoding.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    private static readonly int Width = DemoModel.Dims.EncoderDim;

    [Fact]
    public async Task Killing_a_node_of_three_mid_stream_changes_no_final_of_500_utterances()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 500, seed: 31);
        await using var cluster = await LocalCluster.StartAsync(3);
        if (RequiredTool.Skip(cluster is null ? "PostgreSQL is not installed" : null, output))
        {
            return;
        }

        await using var client = await SvodClient.ConnectAsync([.. cluster!.Nodes.Select(n => n.StreamUri)]);
        var streams = await Task.WhenAll(utterances.Select(u => client.StartAsync(u.Id, DemoModel.Name)));
        var watches = streams.Select(Watch.Start).ToArray();
        var random = new Random(5);
        var chunks = utterances.Select(_ => random.Next(1, 9)).ToArray();
        await Task.WhenAll(streams.Select((s, i) => SendChunkedAsync(s, utterances[i].Frames, 0, Half(utterances[i]), chunks[i])));
        await Within(Task.WhenAll(watches.Select(w => w.FirstPartial)), "a partial of every utterance");

        var victim = cluster.Nodes[random.Next(cluster.Nodes.Count)];
        var moved = streams.Where(s => s.Node == victim.StreamUri).ToArray();
        var onVictim = moved.Length;
        await victim.KillAsync();
        output.WriteLine($"killed {victim.StreamUri} with {onVictim} utterances on it");
        await Within(Task.WhenAll(streams.Select((s, i) =>
            FinishChunkedAsync(s, utterances[i], chunks[i]))), "sending the rest");
        foreach (var (u, watch) in utterances.Zip(watches))
        {
            AssertMatches(expected[u.Id], await Within(watch.Final, $"the final of {u.Id}"), u.Id);
        }

        Assert.True(onVictim > 0, "the killed node held no utterance");
        // Each utterance the node held lost it mid-stream and was replayed elsewhere.
        Assert.All(moved, s => Assert.True(s.Replays > 0, $"{s.UtteranceId} was on the killed node and never replayed"));
    }

    private static async Task SendChunkedAsync(UtteranceStream stream, float[] frames, int from, int to, int chunk)
    {
        for (var offset = from; offset < to; offset += chunk)
        {
            var n = Math.Min(chunk, to - offset);
            await stream.SendFramesAsync(frames.AsMemory(offset * Width, n * Width));
        }
    }

    private static async Task FinishChunkedAsync(UtteranceStream stream, Utterance u, int chunk)
    {
        await SendChunkedAsync(stream, u.Frames, (int)stream.FramesSent, u.Frames.Length / Width, chunk);
        await stream.FinalizeAsync();
    }
}
