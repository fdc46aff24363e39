using System.Text.Json;
using Svod.Client;
using Svod.Gpu.Demo;

using static Svod.IntegrationTests.StreamingHarness;

namespace Svod.IntegrationTests;

/// <summary>
/// Many utterances streaming at once through one client, each in chunks of its own random size, so that whatever a
/// test does to the cluster happens while frames are in flight: <see cref="SendUntilAsync"/> moves every utterance to
/// a point of its frames, in rounds (one chunk of each per round, a pause between rounds), and
/// <see cref="FinishAsync"/> sends the rest and finalizes.
/// </summary>
internal sealed class ClusterLoad
{
    private static readonly int Width = DemoModel.Dims.EncoderDim;
    private readonly Utterance[] _utterances;
    private readonly int[] _chunks;

    private ClusterLoad(Utterance[] utterances, UtteranceStream[] streams, int seed)
    {
        _utterances = utterances;
        Streams = streams;
        Watches = [.. streams.Select(Watch.Start)];
        var random = new Random(seed);
        _chunks = [.. utterances.Select(_ => random.Next(1, 9))];
    }

    public UtteranceStream[] Streams { get; }

    public Watch[] Watches { get; }

    /// <summary>Starts every utterance (each is placed on its shard's owner).</summary>
    public static async Task<ClusterLoad> StartAsync(SvodClient client, Utterance[] utterances, int seed)
    {
        var streams = await Within(Task.WhenAll(utterances.Select(u => client.StartAsync(u.Id, DemoModel.Name))),
            "starting every utterance");
        return new ClusterLoad(utterances, streams, seed);
    }

    /// <summary>Sends each utterance's frames up to <paramref name="fraction"/> of its length, one chunk of each per
    /// round, with <paramref name="pause"/> between rounds.</summary>
    public async Task SendUntilAsync(double fraction, TimeSpan pause)
    {
        var ends = _utterances.Select(u => (int)(u.Frames.Length / Width * fraction)).ToArray();
        while (true)
        {
            // An utterance that has ended (its error is for AssertFinalsAsync to report) takes no more frames.
            var round = Streams.Select((s, i) => (Stream: s, Index: i))
                .Where(x => x.Stream.FramesSent < ends[x.Index] && !Watches[x.Index].Final.IsCompleted)
                .Select(x => SendChunkAsync(x.Index, ends[x.Index])).ToArray();
            if (round.Length == 0)
            {
                return;
            }

            await Task.WhenAll(round);
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause);
            }
        }
    }

    /// <summary>The rest of every utterance, in rounds as <see cref="SendUntilAsync"/>, then Finalize for each.
    /// </summary>
    public async Task FinishAsync(TimeSpan pause)
    {
        await SendUntilAsync(1, pause);
        await Task.WhenAll(Streams.Select(s => s.FinalizeAsync()));
    }

    /// <summary>Every utterance ended with exactly one final, equal to offline decoding's, and no error.</summary>
    public async Task AssertFinalsAsync(Dictionary<string, JsonElement> expected)
    {
        foreach (var (u, watch) in _utterances.Zip(Watches))
        {
            AssertMatches(expected[u.Id], await Within(watch.Final, $"the final of {u.Id}"), u.Id);
        }
    }

    private async Task SendChunkAsync(int index, int end)
    {
        var stream = Streams[index];
        var offset = (int)stream.FramesSent;
        var n = Math.Min(_chunks[index], end - offset);
        await stream.SendFramesAsync(_utterances[index].Frames.AsMemory(offset * Width, n * Width));
    }
}
