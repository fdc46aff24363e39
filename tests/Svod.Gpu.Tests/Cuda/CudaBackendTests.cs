using System.Text;
using Svod.Gpu.Cuda;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>
/// The CUDA backend against the CPU backend (itself equal to the reference decoder): the same calls give the same
/// entries, tokens and frames, call by call, for any lane count, chunking, predictor depth and model size. Needs a
/// GPU; elsewhere every test passes after writing why it skipped.
/// </summary>
[Collection(CudaCollection)]
public sealed class CudaBackendTests(ITestOutputHelper output)
{
    /// <summary>Tests that hold a device run one at a time.</summary>
    public const string CudaCollection = "cuda";

    private static readonly RnntDims Small = new(EncoderDim: 40, PredHidden: 24, PredLayers: 1, JointHidden: 36,
        NumClasses: 12);

    public static TheoryData<int, int> LanesAndChunks()
    {
        var data = new TheoryData<int, int>();
        foreach (var lanes in new[] { 1, 7, 64 })
        {
            foreach (var chunk in new[] { 1, 3, 8, 64 })
            {
                data.Add(lanes, chunk);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LanesAndChunks))]
    public void Any_lane_count_and_chunking_decodes_as_the_CPU_backend(int lanes, int chunk)
    {
        if (!Available(output))
        {
            return;
        }

        var model = RandomModel.Create(Small, seed: 100 + lanes * 10 + chunk, blankBias: 0.5f);
        var utterances = Utterances(Small, count: lanes + 5, maxFrames: 90, seed: lanes * 100 + chunk);
        using var cuda = new CudaDecoderBackend(model, utterances.Length, lanes, maxFramesPerLane: 32);
        using var cpu = new CpuDecoderBackend(model, utterances.Length, lanes, maxFramesPerLane: 32);
        AssertSameCalls(Drive(cpu, utterances, chunk), Drive(cuda, utterances, chunk));
        AssertReference(model, cuda, utterances);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Multi_layer_predictors_decode_as_the_CPU_backend(int layers)
    {
        if (!Available(output))
        {
            return;
        }

        var dims = Small with { PredLayers = layers };
        var model = RandomModel.Create(dims, seed: layers, blankBias: 0f, maxSymbolsPerStep: 4);
        var utterances = Utterances(dims, count: 12, maxFrames: 70, seed: layers);
        using var cuda = new CudaDecoderBackend(model, utterances.Length, lanes: 8, maxFramesPerLane: 16);
        using var cpu = new CpuDecoderBackend(model, utterances.Length, lanes: 8, maxFramesPerLane: 16);
        AssertSameCalls(Drive(cpu, utterances, 5), Drive(cuda, utterances, 5));
        AssertReference(model, cuda, utterances);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_frame_that_reaches_max_symbols_moves_on_as_on_the_CPU(int maxSymbols)
    {
        if (!Available(output))
        {
            return;
        }

        // Blank never wins: every frame emits exactly max_symbols_per_step tokens.
        var model = RandomModel.Create(Small, seed: 7, blankBias: -40f, maxSymbolsPerStep: maxSymbols);
        var utterances = Utterances(Small, count: 5, maxFrames: 30, seed: 7);
        using var cuda = new CudaDecoderBackend(model, utterances.Length, lanes: 5, maxFramesPerLane: 8);
        using var cpu = new CpuDecoderBackend(model, utterances.Length, lanes: 5, maxFramesPerLane: 8);
        AssertSameCalls(Drive(cpu, utterances, 6), Drive(cuda, utterances, 6));
        for (var u = 0; u < utterances.Length; u++)
        {
            cuda.GetHypothesis(u, out var tokens, out _);
            Assert.Equal(maxSymbols * cuda.NumFramesDecoded(u), tokens.Length);
        }

        AssertReference(model, cuda, utterances);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GigaAM_char_and_BPE_sizes_decode_as_the_CPU_backend(bool bpe)
    {
        if (!Available(output))
        {
            return;
        }

        var dims = bpe ? RnntDims.GigaAmBpe : RnntDims.GigaAmChar;
        var model = RandomModel.Create(dims, seed: bpe ? 11 : 12, blankBias: 1f);
        var utterances = Utterances(dims, count: 24, maxFrames: 60, seed: 13);
        using var cuda = new CudaDecoderBackend(model, utterances.Length, lanes: 24, maxFramesPerLane: 64);
        using var cpu = new CpuDecoderBackend(model, utterances.Length, lanes: 24, maxFramesPerLane: 64);
        var expected = Drive(cpu, utterances, 16);
        AssertSameCalls(expected, Drive(cuda, utterances, 16));
        Assert.True(cpu.Totals.Emissions > 0, "the random model emitted nothing: the test would prove little");
        Assert.Equal(cpu.Totals.Emissions, cuda.Totals.Emissions);
        Assert.Equal(cpu.Totals.JointRows, cuda.Totals.JointRows);
        output.WriteLine($"{cuda.DeviceName}: {cuda.Totals.Emissions} tokens on {cuda.Totals.Frames} frames, " +
                         $"{cuda.DeviceBytesPerChannel} device bytes per channel");
    }

    [Fact]
    public void Random_models_batches_chunkings_and_moves_between_backends_give_the_reference_transcript()
    {
        if (!Available(output))
        {
            return;
        }

        for (var seed = 0; seed < 40; seed++)
        {
            Assert.True(MixedScenario(seed), $"seed {seed}: a transcript differs from the reference");
        }
    }

    /// <summary>
    /// DecodingScenario with one CUDA and one CPU backend: random tiny-to-small dims (H, J down to 1, two classes),
    /// random lanes, per-call limits, subsets and chunk sizes (0 frames included), and after every call one
    /// utterance moved through its saved bytes to a slot of either backend.
    /// </summary>
    private static bool MixedScenario(int seed)
    {
        var random = new Random(seed);
        var dims = new RnntDims(random.Next(1, 48), random.Next(1, 24), random.Next(1, 3), random.Next(1, 40),
            random.Next(2, 14));
        var model = RandomModel.Create(dims, seed, blankBias: (float)(random.NextDouble() * 5 - 2),
            maxSymbolsPerStep: random.Next(1, 6));
        var utterances = Enumerable.Range(0, random.Next(1, 12))
            .Select(_ => RandomModel.Frames(dims, random.Next(0, 41), random)).ToArray();
        var reference = new ReferenceDecoder(model);
        var expected = utterances.Select(u => reference.Decode(u)).ToArray();
        var channels = utterances.Length * 2;
        var lanes = random.Next(1, utterances.Length + 2);
        var maxFrames = random.Next(1, 17);
        using var cuda = new CudaDecoderBackend(model, channels, lanes, maxFrames);
        using var cpu = new CpuDecoderBackend(model, channels, lanes, maxFrames);
        var backends = new IDecoderBackend[] { cuda, cpu };
        var result = cuda.CreateResult();
        var home = Enumerable.Range(0, utterances.Length).Select(u => (Backend: 0, Channel: u)).ToArray();
        var offsets = new int[utterances.Length];
        var state = new byte[64 * 1024];
        while (true)
        {
            var pending = Enumerable.Range(0, utterances.Length)
                .Where(u => offsets[u] < utterances[u].Length / dims.EncoderDim).ToArray();
            if (pending.Length == 0)
            {
                break;
            }

            var backend = random.Next(2);
            var chosen = pending.Where(u => home[u].Backend == backend).OrderBy(_ => random.Next()).Take(lanes)
                .ToArray();
            var requests = chosen.Select(u =>
            {
                var n = random.Next(0, utterances[u].Length / dims.EncoderDim - offsets[u] + 1);
                return new DecodeRequest(home[u].Channel,
                    utterances[u].AsMemory(offsets[u] * dims.EncoderDim, n * dims.EncoderDim));
            }).ToArray();
            backends[backend].AdvanceDecoding(requests, result);
            for (var i = 0; i < result.Count; i++)
            {
                offsets[chosen[i]] += result.FramesConsumed(i);
            }

            if (chosen.Length > 0)
            {
                var u = chosen[random.Next(chosen.Length)];
                var from = home[u];
                var size = backends[from.Backend].SaveChannel(from.Channel, state);
                backends[from.Backend].InitDecoding([from.Channel]);
                // Slots u and u + count belong to utterance u: the other one is free on both backends.
                var slot = from.Channel < utterances.Length ? from.Channel + utterances.Length : u;
                var to = (Backend: random.Next(2), Channel: slot);
                backends[to.Backend].LoadChannel(to.Channel, state.AsSpan(0, size));
                home[u] = to;
            }
        }

        for (var u = 0; u < utterances.Length; u++)
        {
            backends[home[u].Backend].GetHypothesis(home[u].Channel, out var tokens, out var frames);
            if (!expected[u].Tokens.AsSpan().SequenceEqual(tokens) ||
                !expected[u].TokenFrames.AsSpan().SequenceEqual(frames))
            {
                return false;
            }
        }

        return true;
    }

    internal static bool Available(ITestOutputHelper output)
    {
        if (CudaRuntime.TryInitialize(out var reason))
        {
            return true;
        }

        output.WriteLine($"skipped: {reason}");
        return false;
    }

    internal static float[][] Utterances(RnntDims dims, int count, int maxFrames, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => RandomModel.Frames(dims, random.Next(0, maxFrames + 1), random))
            .ToArray();
    }

    /// <summary>
    /// Decodes every utterance (utterance u in channel u) in calls of up to NumLanes entries of up to
    /// <paramref name="chunk"/> frames, the first entry rotating so the batches mix; one line per entry per call.
    /// </summary>
    internal static List<string> Drive(IDecoderBackend backend, float[][] utterances, int chunk)
    {
        var d = backend.Dims.EncoderDim;
        var result = backend.CreateResult();
        var offsets = new int[utterances.Length];
        var requests = new List<DecodeRequest>();
        var log = new List<string>();
        for (var call = 0; ; call++)
        {
            requests.Clear();
            for (var j = 0; j < utterances.Length && requests.Count < backend.NumLanes; j++)
            {
                var u = (call + j) % utterances.Length;
                var remaining = utterances[u].Length / d - offsets[u];
                if (remaining > 0)
                {
                    var n = Math.Min(chunk, remaining);
                    requests.Add(new DecodeRequest(u, utterances[u].AsMemory(offsets[u] * d, n * d)));
                }
            }

            if (requests.Count == 0)
            {
                return log;
            }

            backend.AdvanceDecoding(requests.ToArray(), result);
            for (var i = 0; i < result.Count; i++)
            {
                offsets[result.Channel(i)] += result.FramesConsumed(i);
                log.Add(new StringBuilder().Append("call ").Append(call).Append(" channel ").Append(result.Channel(i))
                    .Append(" frames ").Append(result.FirstFrame(i)).Append('+').Append(result.FramesConsumed(i))
                    .Append(" tokens [").AppendJoin(',', result.Tokens(i).ToArray())
                    .Append("] at [").AppendJoin(',', result.TokenFrames(i).ToArray()).Append(']').ToString());
            }
        }
    }

    /// <summary>Equal call logs, failing on the first entry that differs.</summary>
    internal static void AssertSameCalls(List<string> expected, List<string> actual)
    {
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            Assert.True(expected[i] == actual[i], $"entry {i} differs:\n  cpu:  {expected[i]}\n  cuda: {actual[i]}");
        }

        Assert.Equal(expected.Count, actual.Count);
    }

    internal static void AssertReference(RnntModel model, IDecoderBackend backend, float[][] utterances)
    {
        var reference = new ReferenceDecoder(model);
        for (var u = 0; u < utterances.Length; u++)
        {
            var expected = reference.Decode(utterances[u]);
            backend.GetHypothesis(u, out var tokens, out var frames);
            Assert.Equal(expected.Tokens, tokens.ToArray());
            Assert.Equal(expected.TokenFrames, frames.ToArray());
            Assert.Equal(utterances[u].Length / model.Dims.EncoderDim, backend.NumFramesDecoded(u));
        }
    }
}
