using FsCheck;
using FsCheck.Fluent;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Gpu.Tests;

/// <summary>The batched CPU backend against the one-utterance reference, token for token and frame for frame.</summary>
public sealed class BatchedDecodingTests
{
    [Fact]
    public void Batched_decoding_equals_the_reference_for_any_batch_and_chunking()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => DecodingScenario.Run(seed, saveLoad: false))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void Saving_and_loading_channels_between_calls_changes_nothing()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => DecodingScenario.Run(seed, saveLoad: true))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Theory]
    [InlineData(1, 9, 4)]
    [InlineData(7, 9, 4)]
    [InlineData(13, 9, 4)]
    [InlineData(5, 150, 150)] // more lanes than one lane group (64): the call runs group by group
    public void Fixed_chunk_sizes_give_the_reference_transcript(int chunk, int count, int laneCount)
    {
        var dims = new RnntDims(EncoderDim: 40, PredHidden: 24, PredLayers: 1, JointHidden: 36, NumClasses: 12);
        var model = RandomModel.Create(dims, seed: chunk, blankBias: 0.5f);
        var random = new Random(chunk);
        var utterances = Enumerable.Range(0, count).Select(_ => RandomModel.Frames(dims, random.Next(0, 60), random))
            .ToArray();
        var expected = utterances.Select(u => new ReferenceDecoder(model).Decode(u)).ToArray();
        Assert.Contains(expected, e => e.Tokens.Length > 0);

        using var backend = new CpuDecoderBackend(model, channels: utterances.Length, lanes: laneCount,
            maxFramesPerLane: 16);
        var result = backend.CreateResult();
        var offsets = new int[utterances.Length];
        var requests = new List<DecodeRequest>();
        while (true)
        {
            requests.Clear();
            for (var u = 0; u < utterances.Length && requests.Count < backend.NumLanes; u++)
            {
                var remaining = utterances[u].Length / dims.EncoderDim - offsets[u];
                if (remaining > 0)
                {
                    var n = Math.Min(chunk, remaining);
                    requests.Add(new DecodeRequest(u,
                        utterances[u].AsMemory(offsets[u] * dims.EncoderDim, n * dims.EncoderDim)));
                }
            }

            if (requests.Count == 0)
            {
                break;
            }

            backend.AdvanceDecoding(requests.ToArray(), result);
            for (var i = 0; i < result.Count; i++)
            {
                offsets[result.Channel(i)] += result.FramesConsumed(i);
            }
        }

        for (var u = 0; u < utterances.Length; u++)
        {
            backend.GetHypothesis(u, out var tokens, out var frames);
            Assert.Equal(expected[u].Tokens, tokens.ToArray());
            Assert.Equal(expected[u].TokenFrames, frames.ToArray());
            Assert.Equal(utterances[u].Length / dims.EncoderDim, backend.NumFramesDecoded(u));
        }
    }
}
