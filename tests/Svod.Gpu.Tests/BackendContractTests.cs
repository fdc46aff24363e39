using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Gpu.Tests;

/// <summary>The AdvanceDecoding contract of the CPU backend beyond exactness: limits, bad calls, state bytes.</summary>
public sealed class BackendContractTests
{
    internal static readonly RnntDims Small = new(EncoderDim: 24, PredHidden: 12, PredLayers: 1, JointHidden: 20, NumClasses: 9);

    [Fact]
    public void A_channel_state_at_GigaAM_sizes_is_at_most_4_KB_plus_8_bytes_a_token()
    {
        var model = RandomModel.Create(RnntDims.GigaAmChar, seed: 1, blankBias: -2f);
        using var backend = new CpuDecoderBackend(model, channels: 2, lanes: 2, maxFramesPerLane: 32);
        Assert.True(backend.ChannelStateSize(0) <= 4096, $"{backend.ChannelStateSize(0)} bytes");

        var frames = RandomModel.Frames(model.Dims, 32, new Random(1));
        backend.AdvanceDecoding([new DecodeRequest(0, frames)], backend.CreateResult());
        backend.GetHypothesis(0, out var tokens, out _);
        Assert.True(tokens.Length > 0);
        Assert.Equal(backend.ChannelStateSize(1) + 8 * tokens.Length, backend.ChannelStateSize(0));
        Assert.Equal(backend.ChannelStateSize(0), backend.SaveChannel(0, new byte[8192]));
    }

    [Fact]
    public void Damaged_or_foreign_state_bytes_are_refused_with_the_reason()
    {
        var model = RandomModel.Create(Small, seed: 2);
        using var backend = new CpuDecoderBackend(model, 2, 2);
        backend.AdvanceDecoding([new DecodeRequest(0, RandomModel.Frames(Small, 10, new Random(2)))], backend.CreateResult());
        var state = new byte[backend.ChannelStateSize(0)];
        backend.SaveChannel(0, state);

        var flipped = (byte[])state.Clone();
        flipped[40] ^= 1;
        Assert.Contains("checksum", Assert.Throws<FormatException>(() => backend.LoadChannel(1, flipped)).Message,
            StringComparison.Ordinal);
        Assert.Contains("bytes", Assert.Throws<FormatException>(() => backend.LoadChannel(1, state.AsSpan(0, state.Length - 1)))
            .Message, StringComparison.Ordinal);
        var magic = (byte[])state.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<FormatException>(() => backend.LoadChannel(1, magic)).Message,
            StringComparison.Ordinal);

        using var other = new CpuDecoderBackend(RandomModel.Create(Small with { PredHidden = 13 }, seed: 2), 1, 1);
        Assert.Contains("pred_hidden=12", Assert.Throws<FormatException>(() => other.LoadChannel(0, state)).Message,
            StringComparison.Ordinal);

        // A refused load leaves the target channel as it was.
        Assert.Equal(0, backend.NumFramesDecoded(1));
        backend.LoadChannel(1, state);
        Assert.Equal(10, backend.NumFramesDecoded(1));
    }

    [Fact]
    public void Bad_calls_are_refused_before_any_channel_changes()
    {
        var model = RandomModel.Create(Small, seed: 3, blankBias: -1f);
        using var backend = new CpuDecoderBackend(model, channels: 4, lanes: 2, maxFramesPerLane: 8);
        AssertRefusesBadCalls(backend, model);
    }

    /// <summary>Every backend's refusals, on a backend of 4 channels and 2 lanes of 8 frames for <paramref name="model"/>
    /// (dims <see cref="Small"/>): each bad call throws before any channel changes, then a good call on channel 1
    /// decodes as the reference does.</summary>
    internal static void AssertRefusesBadCalls(IDecoderBackend backend, RnntModel model)
    {
        var result = backend.CreateResult();
        var frames = RandomModel.Frames(Small, 5, new Random(3));
        Assert.Throws<ArgumentException>(() =>
            backend.AdvanceDecoding([new DecodeRequest(1, frames), new DecodeRequest(1, frames)], result));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            backend.AdvanceDecoding([new DecodeRequest(0, frames), new DecodeRequest(4, frames)], result));
        Assert.Throws<ArgumentException>(() => backend.AdvanceDecoding(
            [new DecodeRequest(0, frames), new DecodeRequest(1, frames), new DecodeRequest(2, frames)], result));
        Assert.Throws<ArgumentException>(() =>
            backend.AdvanceDecoding([new DecodeRequest(0, frames.AsMemory(0, frames.Length - 1))], result));
        Assert.Throws<ArgumentException>(() => backend.AdvanceDecoding([new DecodeRequest(0, frames)], new AdvanceResult(1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.NumFramesDecoded(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.InitDecoding([-1]));
        for (var channel = 0; channel < 4; channel++)
        {
            Assert.Equal(0, backend.NumFramesDecoded(channel));
        }

        backend.AdvanceDecoding([new DecodeRequest(1, frames)], result);
        backend.GetHypothesis(1, out var tokens, out _);
        Assert.Equal(new ReferenceDecoder(model).Decode(frames).Tokens, tokens.ToArray());
    }

    [Fact]
    public void A_call_consumes_at_most_the_per_lane_limit_and_reports_it()
    {
        var model = RandomModel.Create(Small, seed: 4, blankBias: -1f);
        using var backend = new CpuDecoderBackend(model, channels: 2, lanes: 2, maxFramesPerLane: 16);
        var result = backend.CreateResult();
        var frames = RandomModel.Frames(Small, 100, new Random(4));
        backend.AdvanceDecoding([new DecodeRequest(0, frames), new DecodeRequest(1, frames.AsMemory(0, 3 * Small.EncoderDim))],
            result);
        Assert.Equal(2, result.Count);
        Assert.Equal(16, result.FramesConsumed(0));
        Assert.Equal(3, result.FramesConsumed(1));
        Assert.Equal(19, result.Stats.Frames);
        Assert.Equal(2, result.Stats.Lanes);
        Assert.Equal(result.Tokens(0).Length + result.Tokens(1).Length, result.Stats.Emissions);
        Assert.All(result.TokenFrames(0).ToArray(), f => Assert.InRange(f, 0, 15));
        Assert.Equal(16, backend.NumFramesDecoded(0));

        backend.AdvanceDecoding([new DecodeRequest(0, frames.AsMemory(16 * Small.EncoderDim))], result);
        Assert.Equal(16, result.FirstFrame(0));
        Assert.All(result.TokenFrames(0).ToArray(), f => Assert.InRange(f, 16, 31));
    }

    [Fact]
    public void InitDecoding_starts_a_channel_over()
    {
        var model = RandomModel.Create(Small, seed: 5, blankBias: -1f);
        using var backend = new CpuDecoderBackend(model, 1, 1);
        var result = backend.CreateResult();
        var frames = RandomModel.Frames(Small, 20, new Random(5));
        backend.AdvanceDecoding([new DecodeRequest(0, frames)], result);
        var first = result.Tokens(0).ToArray();
        backend.InitDecoding([0]);
        Assert.Equal(0, backend.NumFramesDecoded(0));
        backend.GetHypothesis(0, out var empty, out _);
        Assert.Equal(0, empty.Length);
        backend.AdvanceDecoding([new DecodeRequest(0, frames)], result);
        Assert.Equal(first, result.Tokens(0).ToArray());
    }

    [Fact]
    public void AdvanceDecoding_allocates_nothing_once_warm()
    {
        var model = RandomModel.Create(Small, seed: 6, blankBias: -1f);
        using var backend = new CpuDecoderBackend(model, channels: 8, lanes: 8, maxFramesPerLane: 8);
        var result = backend.CreateResult();
        var random = new Random(6);
        var requests = Enumerable.Range(0, 8).Select(c => new DecodeRequest(c, RandomModel.Frames(Small, 8, random))).ToArray();
        var channels = Enumerable.Range(0, 8).ToArray();
        for (var i = 0; i < 50; i++)
        {
            backend.AdvanceDecoding(requests, result); // grows each hypothesis to its final capacity
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
