using System.Text.Json;
using Svod.Client;
using Svod.Client.Protocol;
using Svod.Gpu.Demo;

using static Svod.IntegrationTests.StreamingHarness;

namespace Svod.IntegrationTests;

/// <summary>A node alone keeps its channels in a local log: killed and restarted on its data, it resumes every
/// utterance where its snapshots left them, and it answers a finished utterance's Start with the retained final.
/// </summary>
public sealed class SingleNodePersistenceTests
{
    [Fact]
    public async Task A_node_killed_and_restarted_on_its_data_resumes_its_utterances_from_their_snapshots()
    {
        using var dir = new TempDirectory();
        using var data = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 12, seed: 21);
        var port = NodeProcess.FreePort();
        string[] args = ["-D", $"svod.persistence.directory={data.Path}", "-D", "svod.persistence.snapshot-interval=50ms"];
        var node = await NodeProcess.StartOnAsync(port, args);
        try
        {
            await using var client = await SvodClient.ConnectAsync(node.StreamUri);
            var streams = await Task.WhenAll(utterances.Select(u => client.StartAsync(u.Id, DemoModel.Name)));
            var watches = streams.Select(Watch.Start).ToArray();
            await Task.WhenAll(streams.Select((s, i) => SendAsync(s, utterances[i].Frames, 0, Half(utterances[i]))));
            await Within(Task.WhenAll(watches.Select(w => w.FirstPartial)), "a partial of every utterance");
            var sent = streams.Sum(s => s.FramesSent);
            await WaitUntilAsync(async () => Frames(await node.StatsAsync()) == sent, "every frame sent decoded");
            var batches = Snapshots(await node.StatsAsync(), "batches");
            await WaitUntilAsync(async () =>
            {
                var stats = await node.StatsAsync();
                return Snapshots(stats, "batches") >= batches + 2 && Snapshots(stats, "dirty") == 0;
            }, "every utterance's snapshot written");

            await node.KillAsync();
            node = await NodeProcess.StartOnAsync(port, args);
            await Within(Task.WhenAll(streams.Select((s, i) => FinishAsync(s, utterances[i]))), "sending the rest");
            foreach (var (u, watch) in utterances.Zip(watches))
            {
                AssertMatches(expected[u.Id], await Within(watch.Final, $"the final of {u.Id}"), u.Id);
            }

            // The restarted node decoded only what its snapshots did not hold.
            var total = utterances.Sum(u => u.Frames.Length / DemoModel.Dims.EncoderDim);
            Assert.Equal(total - sent, Frames(await node.StatsAsync()));
            Assert.All(streams, s => Assert.True(s.Replays >= 1, $"{s.UtteranceId} was not replayed"));

            // A finished utterance resumed (a client that never got its final) gets the retained final at once, with no
            // frames; a new utterance under a used id starts afresh (the transcribe test reuses file names).
            await WaitUntilAsync(async () => Snapshots(await node.StatsAsync(), "completed") >= utterances.Length,
                "every final kept");
            await using var again = await RawConnection.OpenAsync(node.StreamUri);
            await again.SendAsync(new ClientMessage
            {
                Start = new Start { UtteranceId = utterances[0].Id, Model = DemoModel.Name, Resume = true },
            });
            var final = await again.FinalOf(utterances[0].Id).WaitAsync(Patience);
            Assert.True(final.EndOfUtterance);
            AssertMatches(expected[utterances[0].Id], final, utterances[0].Id);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    private static long Snapshots(JsonElement stats, string what) => stats.GetProperty("snapshots").GetProperty(what).GetInt64();

    private static long Frames(JsonElement stats) =>
        stats.GetProperty("models").EnumerateArray().Sum(m => m.GetProperty("frames").GetInt64());
}
