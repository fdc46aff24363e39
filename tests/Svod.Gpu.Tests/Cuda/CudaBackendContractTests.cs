using Svod.Gpu.Cuda;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;
using Xunit.Abstractions;
using static Svod.Gpu.Tests.Cuda.CudaBackendTests;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>The CUDA backend's contract beyond equal tokens: channel bytes shared with the CPU backend, bad calls,
/// limits and stats, graphs, weight precisions, no allocation per call. Needs a GPU; skips elsewhere.</summary>
[Collection(CudaCollection)]
public sealed class CudaBackendContractTests(ITestOutputHelper output)
{
    private static readonly RnntDims Small = new(EncoderDim: 24, PredHidden: 12, PredLayers: 2, JointHidden: 20,
        NumClasses: 9);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_channel_saved_on_one_backend_continues_identically_on_the_other(bool fromCuda)
    {
        if (!Available(output))
        {
            return;
        }

        var model = RandomModel.Create(Small, seed: 21, blankBias: -0.5f);
        var frames = RandomModel.Frames(Small, 50, new Random(21));
        var expected = new ReferenceDecoder(model).Decode(frames);
        using var cuda = new CudaDecoderBackend(model, channels: 3, lanes: 2, maxFramesPerLane: 16);
        using var cpu = new CpuDecoderBackend(model, channels: 3, lanes: 2, maxFramesPerLane: 16);
        IDecoderBackend first = fromCuda ? cuda : cpu, second = fromCuda ? cpu : cuda;
        var d = Small.EncoderDim;
        first.AdvanceDecoding([new DecodeRequest(1, frames.AsMemory(0, 23 * d))], first.CreateResult());
        var state = new byte[first.ChannelStateSize(1)];
        Assert.Equal(state.Length, first.SaveChannel(1, state));
        Assert.Equal(23, ChannelStateFormat.ReadHypothesis(state, Small).FramesDecoded);

        second.LoadChannel(2, state);
        Assert.Equal(23, second.NumFramesDecoded(2));
        Assert.Equal(first.ChannelStateSize(1), second.ChannelStateSize(2));
        var result = second.CreateResult();
        for (var at = 23; at < 50; at += result.FramesConsumed(0))
        {
            second.AdvanceDecoding([new DecodeRequest(2, frames.AsMemory(at * d))], result);
            Assert.Equal(at, result.FirstFrame(0));
        }

        second.GetHypothesis(2, out var tokens, out var tokenFrames);
        Assert.Equal(expected.Tokens, tokens.ToArray());
        Assert.Equal(expected.TokenFrames, tokenFrames.ToArray());

        // Saved again, the continued channel reads back on the first backend with the same hypothesis.
        var again = new byte[second.ChannelStateSize(2)];
        second.SaveChannel(2, again);
        first.LoadChannel(0, again);
        first.GetHypothesis(0, out var reloaded, out _);
        Assert.Equal(expected.Tokens, reloaded.ToArray());
        Assert.Equal(50, first.NumFramesDecoded(0));
    }

    [Fact]
    public void Bad_calls_and_bad_bytes_are_refused_as_by_the_CPU_backend()
    {
        if (!Available(output))
        {
            return;
        }

        var model = RandomModel.Create(Small, seed: 3, blankBias: -1f);
        using var backend = new CudaDecoderBackend(model, channels: 4, lanes: 2, maxFramesPerLane: 8);
        BackendContractTests.AssertRefusesBadCalls(backend, model);

        var state = new byte[backend.ChannelStateSize(1)];
        backend.SaveChannel(1, state);
        var flipped = (byte[])state.Clone();
        flipped[40] ^= 1;
        Assert.Contains("checksum", Assert.Throws<FormatException>(() => backend.LoadChannel(2, flipped)).Message,
            StringComparison.Ordinal);
        using var other = new CpuDecoderBackend(RandomModel.Create(Small with { PredHidden = 13 }, seed: 3), 1, 1);
        Assert.Throws<FormatException>(() => other.LoadChannel(0, state));
        Assert.Throws<ArgumentException>(() => backend.SaveChannel(1, new byte[state.Length - 1]));
        Assert.Equal(0, backend.NumFramesDecoded(2));
    }

    [Fact]
    public void Frame_limits_entries_and_stats_match_the_CPU_backend()
    {
        if (!Available(output))
        {
            return;
        }

        var model = RandomModel.Create(Small, seed: 4, blankBias: -1f);
        using var cuda = new CudaDecoderBackend(model, channels: 3, lanes: 3, maxFramesPerLane: 16);
        using var cpu = new CpuDecoderBackend(model, channels: 3, lanes: 3, maxFramesPerLane: 16);
        var frames = RandomModel.Frames(Small, 100, new Random(4));
        var d = Small.EncoderDim;
        DecodeRequest[] batch =
        [
            new(0, frames), new(2, ReadOnlyMemory<float>.Empty), new(1, frames.AsMemory(0, 3 * d)),
        ];
        var cudaResult = cuda.CreateResult();
        var cpuResult = cpu.CreateResult();
        cuda.AdvanceDecoding(batch, cudaResult);
        cpu.AdvanceDecoding(batch, cpuResult);
        Assert.Equal(3, cudaResult.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(cpuResult.Channel(i), cudaResult.Channel(i));
            Assert.Equal(cpuResult.FirstFrame(i), cudaResult.FirstFrame(i));
            Assert.Equal(cpuResult.FramesConsumed(i), cudaResult.FramesConsumed(i));
            Assert.Equal(cpuResult.Tokens(i).ToArray(), cudaResult.Tokens(i).ToArray());
            Assert.Equal(cpuResult.TokenFrames(i).ToArray(), cudaResult.TokenFrames(i).ToArray());
        }

        Assert.Equal(16, cudaResult.FramesConsumed(0));
        Assert.Equal(0, cudaResult.FramesConsumed(1));
        Assert.Equal(19, cudaResult.Stats.Frames);
        Assert.Equal(3, cudaResult.Stats.Lanes);
        Assert.Equal(cpuResult.Stats.Emissions, cudaResult.Stats.Emissions);
        Assert.Equal(cpuResult.Stats.JointRows, cudaResult.Stats.JointRows);
        Assert.True(cudaResult.Stats.Steps >= 16);
        Assert.Equal(16, cuda.NumFramesDecoded(0));
        Assert.Equal(0, cuda.NumFramesDecoded(2));

        // A call whose entries hold no frames touches nothing.
        cuda.AdvanceDecoding([new DecodeRequest(2, ReadOnlyMemory<float>.Empty)], cudaResult);
        Assert.Equal(0, cudaResult.Stats.Frames);
        Assert.Equal(0, cudaResult.Tokens(0).Length);

        cuda.InitDecoding([0]);
        Assert.Equal(0, cuda.NumFramesDecoded(0));
        cuda.GetHypothesis(0, out var empty, out _);
        Assert.Equal(0, empty.Length);
        cuda.AdvanceDecoding([new DecodeRequest(0, frames)], cudaResult);
        Assert.Equal(cpuResult.Tokens(0).ToArray(), cudaResult.Tokens(0).ToArray());
    }

    [Fact]
    public void Graphs_on_and_off_give_the_same_tokens()
    {
        if (!Available(output))
        {
            return;
        }

        var model = RandomModel.Create(Small, seed: 5, blankBias: 0f);
        var utterances = Utterances(Small, count: 20, maxFrames: 80, seed: 5);
        using var graphs = new CudaDecoderBackend(model, utterances.Length, lanes: 9, maxFramesPerLane: 24);
        using var direct = new CudaDecoderBackend(model, utterances.Length, lanes: 9, maxFramesPerLane: 24,
            new CudaBackendOptions { UseGraphs = false });
        var expected = Drive(direct, utterances, 7);
        AssertSameCalls(expected, Drive(graphs, utterances, 7));
        Assert.True(graphs.GraphCount > 0);
        Assert.Equal(0, direct.GraphCount);

        // Replays of the captured graphs, with channels started over.
        graphs.InitDecoding(Enumerable.Range(0, utterances.Length).ToArray());
        AssertSameCalls(expected, Drive(graphs, utterances, 7));
        output.WriteLine($"{graphs.GraphCount} graphs captured");
    }

    [Theory]
    [InlineData(WeightPrecision.F16)]
    [InlineData(WeightPrecision.BF16)]
    public void Reduced_precision_weights_decode_every_frame_with_valid_tokens(WeightPrecision precision)
    {
        if (!Available(output))
        {
            return;
        }

        var dims = RnntDims.GigaAmChar;
        var model = RandomModel.Create(dims, seed: 8, blankBias: 1f);
        var utterances = Utterances(dims, count: 8, maxFrames: 40, seed: 8);
        using var exact = new CudaDecoderBackend(model, utterances.Length, lanes: 8);
        using var reduced = new CudaDecoderBackend(model, utterances.Length, lanes: 8,
            options: new CudaBackendOptions { Precision = precision });
        Drive(exact, utterances, 10);
        Drive(reduced, utterances, 10);
        int same = 0, total = 0;
        for (var u = 0; u < utterances.Length; u++)
        {
            Assert.Equal(utterances[u].Length / dims.EncoderDim, reduced.NumFramesDecoded(u));
            reduced.GetHypothesis(u, out var tokens, out var frames);
            Assert.All(tokens.ToArray(), t => Assert.InRange(t, 0, dims.Blank - 1));
            Assert.Equal(frames.ToArray().Order().ToArray(), frames.ToArray());
            exact.GetHypothesis(u, out var exactTokens, out _);
            same += tokens.ToArray().Zip(exactTokens.ToArray()).Count(p => p.First == p.Second);
            total += exactTokens.Length;
        }

        output.WriteLine($"{precision}: {same} of {total} tokens as with f32 weights (position by position)");
    }

    [Fact]
    public void AdvanceDecoding_allocates_nothing_once_warm()
    {
        if (!Available(output))
        {
            return;
        }

        var model = RandomModel.Create(Small, seed: 6, blankBias: -1f);
        using var backend = new CudaDecoderBackend(model, channels: 8, lanes: 8, maxFramesPerLane: 8);
        var result = backend.CreateResult();
        var random = new Random(6);
        var requests = Enumerable.Range(0, 8)
            .Select(c => new DecodeRequest(c, RandomModel.Frames(Small, 8, random))).ToArray();
        var channels = Enumerable.Range(0, 8).ToArray();
        for (var i = 0; i < 50; i++)
        {
            backend.AdvanceDecoding(requests, result); // grows each hypothesis, captures the graph
        }

        backend.InitDecoding(channels);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 50; i++)
        {
            backend.AdvanceDecoding(requests, result);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(result.Stats.Emissions > 0);
        Assert.Equal(0, allocated);
    }
}
