using BenchmarkDotNet.Attributes;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Benchmarks;

/// <summary>
/// One AdvanceDecoding call of 64 frames per lane at GigaAM v3 sizes with a random model tuned to ~0.5 tokens per
/// frame, batched over N lanes, beside the same frames decoded one lane at a time (the baseline). Time is per frame
/// (OperationsPerInvoke = frames), so frames/s = 1 / mean.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 8)]
[PerFrame]
public class AdvanceDecodingBenchmarks
{
    private const int FramesPerLane = 64;

    private CpuDecoderBackend _batched = null!;
    private CpuDecoderBackend _single = null!;
    private DecodeRequest[] _requests = null!;
    private AdvanceResult _batchedResult = null!;
    private AdvanceResult _singleResult = null!;
    private int[] _channels = null!;

    [Params("char", "bpe")]
    public string Preset { get; set; } = "char";

    [Params(1, 16, 64, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var dims = Preset == "bpe" ? RnntDims.GigaAmBpe : RnntDims.GigaAmChar;
        var random = new Random(0);
        var frames = Enumerable.Range(0, Batch).Select(_ => RandomModel.Frames(dims, FramesPerLane, random)).ToArray();
        var sample = Enumerable.Range(0, 16).Select(_ => RandomModel.Frames(dims, FramesPerLane, random)).ToArray();
        var (model, _) = RandomModel.CreateWithTokensPerFrame(dims, seed: 0, tokensPerFrame: 0.5, sample);
        _batched = new CpuDecoderBackend(model, Batch, Batch, FramesPerLane);
        _single = new CpuDecoderBackend(model, Batch, 1, FramesPerLane);
        _requests = frames.Select((f, i) => new DecodeRequest(i, f)).ToArray();
        _batchedResult = _batched.CreateResult();
        _singleResult = _single.CreateResult();
        _channels = Enumerable.Range(0, Batch).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batched.Dispose();
        _single.Dispose();
    }

    [Benchmark(Baseline = true, Description = "one lane at a time")]
    public void OneLaneAtATime()
    {
        _single.InitDecoding(_channels);
        for (var i = 0; i < _requests.Length; i++)
        {
            _single.AdvanceDecoding(_requests.AsSpan(i, 1), _singleResult);
        }
    }

    [Benchmark(Description = "batched AdvanceDecoding")]
    public void Batched()
    {
        _batched.InitDecoding(_channels);
        _batched.AdvanceDecoding(_requests, _batchedResult);
    }
}
