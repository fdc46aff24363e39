using Svod.Gpu.Cuda;
using Svod.Gpu.Models;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>What the CUDA backend does on any machine: refuse clearly where there is no device, and carry its
/// kernel source.</summary>
public sealed class CudaBackendAvailabilityTests(ITestOutputHelper output)
{
    [Fact]
    public void Without_CUDA_the_constructor_throws_CudaUnavailableException_with_the_reason()
    {
        if (CudaRuntime.TryInitialize(out _))
        {
            output.WriteLine("skipped: CUDA is available here, so the backend constructs");
            return;
        }

        var model = RandomModel.Create(new RnntDims(8, 4, 1, 6, 5), seed: 1);
        var error = Assert.Throws<CudaUnavailableException>(() => new CudaDecoderBackend(model, 4, 2));
        Assert.StartsWith("CUDA backend unavailable:", error.Message, StringComparison.Ordinal);
        output.WriteLine(error.Message);
    }

    [Fact]
    public void The_kernel_source_is_embedded_with_both_kernels()
    {
        var source = CudaKernels.Source();
        Assert.Contains("extern \"C\" __global__ void __launch_bounds__(256) rnnt_label_loop(", source,
            StringComparison.Ordinal);
        Assert.Contains("extern \"C\" __global__ void rnnt_init_channels(", source, StringComparison.Ordinal);
        Assert.Contains($"__launch_bounds__({CudaKernels.LabelLoopThreads})", source, StringComparison.Ordinal);
        Assert.DoesNotContain("#include", source, StringComparison.Ordinal);
    }
}
