namespace Svod.Gpu.Cuda;

/// <summary>Settings of a <see cref="CudaDecoderBackend"/>; the defaults suit production.</summary>
public sealed class CudaBackendOptions
{
    /// <summary>CUDA device ordinal.</summary>
    public int Device { get; set; }

    /// <summary>
    /// Storage of the matrices the step loop reads every step (joint output, predictor projection, LSTM). Sums are
    /// f32 whatever the storage; the encoder projection (one GEMM per call) and the per-token input table stay f32.
    /// Only <see cref="WeightPrecision.F32"/> matches the CPU backend token for token.
    /// </summary>
    public WeightPrecision Precision { get; set; } = WeightPrecision.F32;

    /// <summary>Replays each call's copies, GEMM and kernel as a CUDA graph captured once per (lane bucket, frame
    /// bucket); false launches them one by one (the same results, for debugging and profiling).</summary>
    public bool UseGraphs { get; set; } = true;

    /// <summary>Where NVRTC output is cached between runs; null for NVRTC's default
    /// (<c>$XDG_CACHE_HOME/svod/kernels</c> or <c>~/.cache/svod/kernels</c>).</summary>
    public string? KernelCacheDirectory { get; set; }
}

/// <summary>How weight matrices are stored on the device.</summary>
public enum WeightPrecision
{
    F32,
    F16,
    BF16,
}
