using Svod.Gpu.Cuda;
using Svod.Gpu.Models;

namespace Svod.Gpu.Decoding;

/// <summary>
/// The backend a configuration names: <c>cpu</c> (SIMD, always available), <c>cuda</c> (fails at once with the reason
/// when no CUDA device and libraries are there) or <c>auto</c> (cuda when it can start, else cpu, reporting why).
/// </summary>
public static class DecoderBackends
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";
    public const string Auto = "auto";

    /// <summary>The names a configuration or <c>--backend</c> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [Cpu, Cuda, Auto];

    /// <summary>
    /// A backend of <paramref name="kind"/> for <paramref name="model"/>. With <c>auto</c>, a CUDA backend that cannot
    /// start (no device, no libraries, a kernel that does not compile) is reported through
    /// <paramref name="fellBack"/> and the CPU backend is returned instead.
    /// </summary>
    /// <exception cref="CudaUnavailableException"><c>cuda</c> on a machine without a usable CUDA device.</exception>
    public static IDecoderBackend Create(string kind, RnntModel model, int channels, int lanes, int maxFramesPerLane,
        Action<string>? fellBack = null, CudaBackendOptions? cuda = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        switch (kind)
        {
            case Cpu:
                return new CpuDecoderBackend(model, channels, lanes, maxFramesPerLane);
            case Cuda:
                return new CudaDecoderBackend(model, channels, lanes, maxFramesPerLane, cuda);
            case Auto:
                if (!CudaRuntime.TryInitialize(out var reason))
                {
                    fellBack?.Invoke($"{reason}; decoding on the cpu backend");
                    return new CpuDecoderBackend(model, channels, lanes, maxFramesPerLane);
                }

                try
                {
                    return new CudaDecoderBackend(model, channels, lanes, maxFramesPerLane, cuda);
                }
                catch (CudaException e)
                {
                    fellBack?.Invoke($"the cuda backend failed to start ({e.Message}); decoding on the cpu backend");
                    return new CpuDecoderBackend(model, channels, lanes, maxFramesPerLane);
                }

            default:
                throw new ArgumentException($"unknown backend '{kind}': expected {string.Join(", ", Names)}",
                    nameof(kind));
        }
    }
}
