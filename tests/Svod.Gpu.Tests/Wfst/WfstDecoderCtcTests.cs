using Svod.Gpu.Ctc;
using Svod.Gpu.Decoding;
using Svod.Gpu.Wfst;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>
/// The decoder against the CTC topology alone: T accepts every class sequence at cost 0, so the best path is the
/// per-frame argmax and its words are greedy CTC's tokens (+ 1) on the same frames — an oracle that needs no
/// OpenFst.
/// </summary>
public sealed class WfstDecoderCtcTests
{
    [Fact]
    public void Decoding_with_the_ctc_topology_alone_gives_greedy_ctc()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var random = new Random(seed);
            var classes = random.Next(2, 9);
            var blank = classes - 1;
            var graph = Topology(classes, blank);
            var frames = random.Next(1, 40);
            var logProbs = RandomLogProbs(random, frames, classes);

            var decoder = new WfstDecoder(graph, classes, new WfstDecoderOptions(), numChannels: 1);
            Feed(decoder, 0, logProbs);
            var path = decoder.GetBestPath(0);
            var (tokens, tokenFrames) = CtcGreedy.Decode(logProbs, classes, blank);

            Assert.Equal(tokens.Select(t => t + 1), path.Words);
            Assert.Equal(tokenFrames, path.WordFrames);
            Assert.True(path.ReachedFinal);
            var best = 0.0;
            for (var t = 0; t < frames; t++)
            {
                best -= logProbs.AsSpan(t * classes, classes).ToArray().Max();
            }

            Assert.Equal(best, path.Cost, 3);
        }
    }

    internal static WfstGraph Topology(int classes, int blank)
    {
        var writer = new StringWriter();
        CtcTopology.Build(classes, blank).WriteText(writer);
        return OpenFstReader.ReadText(new StringReader(writer.ToString()), "T");
    }

    /// <summary>Log-softmax of random logits, some frames peaked.</summary>
    internal static float[] RandomLogProbs(Random random, int frames, int classes)
    {
        var result = new float[frames * classes];
        for (var t = 0; t < frames; t++)
        {
            var row = result.AsSpan(t * classes, classes);
            var peak = random.Next(classes);
            for (var c = 0; c < classes; c++)
            {
                row[c] = (float)(random.NextDouble() * 4) + (c == peak ? 3 : 0);
            }

            var max = row.ToArray().Max();
            var sum = row.ToArray().Sum(x => Math.Exp(x - max));
            for (var c = 0; c < classes; c++)
            {
                row[c] = (float)(row[c] - max - Math.Log(sum));
            }
        }

        return result;
    }

    internal static void Feed(WfstDecoder decoder, int channel, float[] logProbs)
    {
        var result = decoder.CreateResult();
        decoder.AdvanceDecoding([new DecodeRequest(channel, logProbs)], result);
        Assert.Equal(logProbs.Length / decoder.Classes, result.FramesConsumed(0));
    }
}
