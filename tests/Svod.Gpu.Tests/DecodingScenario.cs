using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Gpu.Tests;

/// <summary>
/// One random run derived from a seed: a random small model (1–2 layers, 1–5 symbols per step, blank bias from
/// chatty to silent), utterances of 0–40 frames, random lane counts and per-call frame limits, random subsets of
/// utterances per call with random chunk sizes, and optionally channels saved and loaded into another slot of
/// another backend between calls. Returns true when every transcript equals the reference.
/// </summary>
internal static class DecodingScenario
{
    public static bool Run(int seed, bool saveLoad)
    {
        var random = new Random(seed);
        var dims = new RnntDims(
            EncoderDim: random.Next(1, 48),
            PredHidden: random.Next(1, 24),
            PredLayers: random.Next(1, 3),
            JointHidden: random.Next(1, 40),
            NumClasses: random.Next(2, 14));
        var model = RandomModel.Create(dims, seed, blankBias: (float)(random.NextDouble() * 5 - 2),
            maxSymbolsPerStep: random.Next(1, 6));
        var utterances = Enumerable.Range(0, random.Next(1, 12))
            .Select(_ => RandomModel.Frames(dims, random.Next(0, 41), random))
            .ToArray();
        var reference = new ReferenceDecoder(model);
        var expected = utterances.Select(u => reference.Decode(u)).ToArray();

        var channels = utterances.Length * 2;
        var lanes = random.Next(1, utterances.Length + 2);
        var maxFrames = random.Next(1, 17);
        using var first = new CpuDecoderBackend(model, channels, lanes, maxFrames);
        using var second = new CpuDecoderBackend(model, channels, lanes, maxFrames);
        var backends = new[] { first, second };
        var result = first.CreateResult();

        // Where each utterance lives now: backend index and channel slot.
        var home = Enumerable.Range(0, utterances.Length).Select(u => (Backend: 0, Channel: u)).ToArray();
        var offsets = new int[utterances.Length];
        var tokens = utterances.Select(_ => new List<int>()).ToArray();
        var frames = utterances.Select(_ => new List<int>()).ToArray();
        var state = new byte[64 * 1024];
        while (true)
        {
            var pending = Enumerable.Range(0, utterances.Length)
                .Where(u => offsets[u] < utterances[u].Length / dims.EncoderDim)
                .ToArray();
            if (pending.Length == 0)
            {
                break;
            }

            var backend = random.Next(2);
            var chosen = pending.Where(u => home[u].Backend == backend).OrderBy(_ => random.Next()).Take(lanes)
                .ToArray();
            var requests = chosen.Select(u =>
            {
                var remaining = utterances[u].Length / dims.EncoderDim - offsets[u];
                var n = random.Next(0, remaining + 1);
                return new DecodeRequest(home[u].Channel,
                    utterances[u].AsMemory(offsets[u] * dims.EncoderDim, n * dims.EncoderDim));
            }).ToArray();
            backends[backend].AdvanceDecoding(requests, result);
            for (var i = 0; i < result.Count; i++)
            {
                var u = chosen[i];
                if (result.Channel(i) != home[u].Channel || result.FirstFrame(i) != offsets[u])
                {
                    return false;
                }

                offsets[u] += result.FramesConsumed(i);
                tokens[u].AddRange(result.Tokens(i).ToArray());
                frames[u].AddRange(result.TokenFrames(i).ToArray());
            }

            if (saveLoad && chosen.Length > 0)
            {
                // Move one utterance to a free slot of a random backend through its saved bytes.
                var u = chosen[random.Next(chosen.Length)];
                var from = home[u];
                var size = backends[from.Backend].SaveChannel(from.Channel, state);
                backends[from.Backend].InitDecoding([from.Channel]);
                var to = (Backend: random.Next(2), Channel: utterances.Length + u);
                if (to == from)
                {
                    to = (1 - to.Backend, to.Channel);
                }

                backends[to.Backend].LoadChannel(to.Channel, state.AsSpan(0, size));
                home[u] = to;
            }
        }

        for (var u = 0; u < utterances.Length; u++)
        {
            backends[home[u].Backend].GetHypothesis(home[u].Channel, out var hypothesis, out var hypothesisFrames);
            if (!expected[u].Tokens.SequenceEqual(tokens[u]) || !expected[u].TokenFrames.SequenceEqual(frames[u]) ||
                !expected[u].Tokens.SequenceEqual(hypothesis.ToArray()) ||
                !expected[u].TokenFrames.SequenceEqual(hypothesisFrames.ToArray()))
            {
                return false;
            }
        }

        return true;
    }
}
