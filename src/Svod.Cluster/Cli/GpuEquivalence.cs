using System.Globalization;
using Svod.Gpu.Cuda;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>
/// The equivalence suite of <c>svod gpu-check</c>: on random models (small ones with one and two predictor layers and a
/// low <c>max_symbols_per_step</c>, and GigaAM char and BPE sizes), the cuda backend must return token for token and
/// frame for frame what the cpu backend returns, at every lane count and chunking, and a channel saved on one backend
/// must continue on the other as if it had never moved.
/// </summary>
internal static class GpuEquivalence
{
    private static readonly int[] LaneCounts = [1, 7, 64];
    private static readonly int[] Chunks = [1, 3, 8, 64];

    public static bool Run(CudaBackendOptions cuda, bool json, CancellationToken cancel)
    {
        var cases = 0;
        var failed = 0;
        foreach (var (name, model, utterances) in Models())
        {
            var reference = Decode(DecoderBackends.Cpu, model, utterances, lanes: 16, chunk: 64, cuda);
            var modelFailures = new List<string>();
            foreach (var lanes in LaneCounts)
            {
                foreach (var chunk in Chunks)
                {
                    cancel.ThrowIfCancellationRequested();
                    var decoded = Decode(DecoderBackends.Cuda, model, utterances, lanes, chunk, cuda);
                    var mismatch = FirstMismatch(reference, decoded);
                    Report(json, name, $"{lanes} lanes, {chunk}-frame chunks", mismatch);
                    cases++;
                    if (mismatch is not null)
                    {
                        modelFailures.Add($"{lanes} lanes, {chunk}-frame chunks: {mismatch}");
                    }
                }
            }

            foreach (var (from, to) in new[] { (DecoderBackends.Cuda, DecoderBackends.Cpu), (DecoderBackends.Cpu, DecoderBackends.Cuda) })
            {
                var mismatch = Moved(model, utterances, reference, from, to, cuda);
                Report(json, name, $"saved on {from}, loaded on {to}", mismatch);
                cases++;
                if (mismatch is not null)
                {
                    modelFailures.Add($"saved on {from}, loaded on {to}: {mismatch}");
                }
            }

            failed += modelFailures.Count;
            if (!json)
            {
                Console.Out.WriteLine(modelFailures.Count == 0
                    ? $"equivalence {name}: every case matches the cpu backend"
                    : $"equivalence {name}: {modelFailures.Count} case(s) differ:\n  " + string.Join("\n  ", modelFailures));
            }
        }

        if (json)
        {
            Console.Out.WriteLine(JsonLines.Write(w =>
            {
                w.WriteString("equivalence", "all");
                w.WriteBoolean("ok", failed == 0);
                w.WriteNumber("cases", cases);
                w.WriteNumber("failed", failed);
            }));
        }
        else
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"equivalence: {cases - failed} of {cases} cases match"));
        }

        return failed == 0;
    }

    private static IEnumerable<(string Name, RnntModel Model, float[][] Utterances)> Models()
    {
        var small = new RnntDims(EncoderDim: 24, PredHidden: 12, PredLayers: 1, JointHidden: 20, NumClasses: 9);
        yield return Random("small", small, 1, maxSymbols: 10);
        yield return Random("small, 2 predictor layers", small with { PredLayers = 2 }, 2, maxSymbols: 10);
        yield return Random("small, max_symbols_per_step 2", small, 3, maxSymbols: 2, tokensPerFrame: 1.5);
        yield return Random("GigaAM char", RnntDims.GigaAmChar, 4, maxSymbols: 10);
        yield return Random("GigaAM BPE", RnntDims.GigaAmBpe, 5, maxSymbols: 10);
    }

    private static (string, RnntModel, float[][]) Random(string name, RnntDims dims, int seed, int maxSymbols,
        double tokensPerFrame = 0.5)
    {
        var random = new Random(seed);
        var utterances = Enumerable.Range(0, 24).Select(_ => RandomModel.Frames(dims, random.Next(1, 150), random))
            .ToArray();
        var (model, _) = RandomModel.CreateWithTokensPerFrame(dims, seed, tokensPerFrame, utterances[..8], maxSymbols);
        return (name, model, utterances);
    }

    private static DecodedUtterance[] Decode(string kind, RnntModel model, float[][] utterances, int lanes, int chunk,
        CudaBackendOptions cuda)
    {
        using var backend = DecoderBackends.Create(kind, model, lanes, lanes, chunk, cuda: cuda);
        return OfflineDecoder.Decode([backend], [.. utterances.Select(u => (ReadOnlyMemory<float>)u)]).Results;
    }

    /// <summary>Each utterance: its first half decoded on <paramref name="from"/>, saved, loaded on
    /// <paramref name="to"/> and finished there.</summary>
    private static string? Moved(RnntModel model, float[][] utterances, DecodedUtterance[] reference, string from,
        string to, CudaBackendOptions cuda)
    {
        using var first = DecoderBackends.Create(from, model, 1, 1, 8, cuda: cuda);
        using var second = DecoderBackends.Create(to, model, 1, 1, 8, cuda: cuda);
        var d = model.Dims.EncoderDim;
        var results = new DecodedUtterance[utterances.Length];
        for (var u = 0; u < utterances.Length; u++)
        {
            var frames = utterances[u].Length / d;
            first.InitDecoding([0]);
            Feed(first, utterances[u], 0, frames / 2);
            var state = new byte[first.ChannelStateSize(0)];
            first.SaveChannel(0, state);
            second.LoadChannel(0, state);
            Feed(second, utterances[u], frames / 2, frames);
            second.GetHypothesis(0, out var tokens, out var tokenFrames);
            results[u] = new DecodedUtterance(tokens.ToArray(), tokenFrames.ToArray());
        }

        return FirstMismatch(reference, results);
    }

    private static void Feed(IDecoderBackend backend, float[] frames, int from, int to)
    {
        var d = backend.Dims.EncoderDim;
        var result = backend.CreateResult();
        for (var at = from; at < to; at += result.FramesConsumed(0))
        {
            backend.AdvanceDecoding([new DecodeRequest(0, frames.AsMemory(at * d, (to - at) * d))], result);
        }
    }

    private static string? FirstMismatch(DecodedUtterance[] expected, DecodedUtterance[] actual)
    {
        for (var u = 0; u < expected.Length; u++)
        {
            var (e, a) = (expected[u], actual[u]);
            var n = Math.Min(e.Tokens.Length, a.Tokens.Length);
            for (var i = 0; i < n; i++)
            {
                if (e.Tokens[i] != a.Tokens[i] || e.TokenFrames[i] != a.TokenFrames[i])
                {
                    return $"utterance {u}, token {i}: expected {e.Tokens[i]} at frame {e.TokenFrames[i]}, got " +
                        $"{a.Tokens[i]} at frame {a.TokenFrames[i]}";
                }
            }

            if (e.Tokens.Length != a.Tokens.Length)
            {
                return $"utterance {u}: expected {e.Tokens.Length} tokens, got {a.Tokens.Length}";
            }
        }

        return null;
    }

    private static void Report(bool json, string model, string what, string? mismatch)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonLines.Write(w =>
            {
                w.WriteString("equivalence", $"{model}: {what}");
                w.WriteBoolean("ok", mismatch is null);
                if (mismatch is not null)
                {
                    w.WriteString("mismatch", mismatch);
                }
            }));
        }
    }
}
