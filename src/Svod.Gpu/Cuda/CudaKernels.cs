namespace Svod.Gpu.Cuda;

/// <summary>
/// The decoder's CUDA C++ (embedded <c>Kernels/rnnt_greedy.cu</c>) and its compilation by NVRTC for the device at
/// hand. Model sizes are kernel arguments, so the only compile-time choice is the weight storage
/// (<c>-DSVOD_WEIGHTS_F16</c> / <c>-DSVOD_WEIGHTS_BF16</c>). <c>--fmad=false</c> keeps NVRTC from fusing a*b+c:
/// the kernels' only FMAs are the explicit <c>fmaf</c> chains of the dot products, as in <c>ScalarMath.Dot</c>.
/// </summary>
internal static class CudaKernels
{
    public const string ResourceName = "Svod.Gpu.Cuda.Kernels.rnnt_greedy.cu";
    public const string ProgramName = "rnnt_greedy.cu";
    public const string LabelLoop = "rnnt_label_loop";
    public const string InitChannels = "rnnt_init_channels";

    /// <summary>Threads per block of <see cref="LabelLoop"/>: the kernel's <c>__launch_bounds__</c>.</summary>
    public const int LabelLoopThreads = 256;

    public const int InitChannelsThreads = 128;

    public static string Source()
    {
        using var stream = typeof(CudaKernels).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded kernel source {ResourceName} is missing from Svod.Gpu");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Compiles the kernels for <paramref name="context"/>'s device and loads them into it.</summary>
    public static CudaModule Compile(CudaContext context, WeightPrecision precision, string? cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = new List<string> { "--fmad=false" };
        switch (precision)
        {
            case WeightPrecision.F32:
                break;
            case WeightPrecision.F16:
                options.Add("-DSVOD_WEIGHTS_F16");
                break;
            case WeightPrecision.BF16:
                options.Add("-DSVOD_WEIGHTS_BF16");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown weight precision");
        }

        var image = NvrtcCompiler.Compile(Source(), ProgramName, context.ComputeCapability, cacheDirectory, options);
        return new CudaModule(image);
    }
}
