using Svod.Gpu.Cuda;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>Whether CUDA can run here is decided once, with a reason that says what is missing.</summary>
public sealed class CudaRuntimeTests(ITestOutputHelper output)
{
    [Fact]
    public void Initialization_either_explains_what_is_missing_or_yields_a_usable_device()
    {
        if (CudaRuntime.TryInitialize(out var reason))
        {
            Assert.Null(reason);
            Assert.True(CudaRuntime.DeviceCount > 0);
            Assert.Matches(@"^\d+\.\d+$", CudaRuntime.DriverVersion);
            using var context = CudaContext.Create();
            output.WriteLine($"{context.Name}, sm_{context.ComputeCapability.Major}{context.ComputeCapability.Minor}, "
                             + $"{context.MultiprocessorCount} SMs, driver {CudaRuntime.DriverVersion}");
            Assert.False(string.IsNullOrWhiteSpace(context.Name));
            Assert.True(context.ComputeCapability.Major >= 5);
            Assert.True(context.MultiprocessorCount > 0);
            Assert.True(context.TotalMemory > 0);
            var (free, total) = context.MemoryInfo();
            Assert.InRange(free, 1, total);
            return;
        }

        output.WriteLine(reason);
        Assert.NotNull(reason);
        Assert.StartsWith("CUDA backend unavailable: ", reason, StringComparison.Ordinal);
        Assert.Equal(0, CudaRuntime.DeviceCount);
        if (!File.Exists("/usr/lib/x86_64-linux-gnu/libcuda.so.1") && !File.Exists("/usr/lib64/libcuda.so.1"))
        {
            Assert.Contains("libcuda", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_outcome_is_cached()
    {
        var first = CudaRuntime.TryInitialize(out var firstReason);
        var second = CudaRuntime.TryInitialize(out var secondReason);
        Assert.Equal(first, second);
        Assert.Same(firstReason, secondReason);
    }

    [Fact]
    public void Without_cuda_creating_a_context_throws_the_reason()
    {
        if (CudaRuntime.TryInitialize(out var reason))
        {
            output.WriteLine("CUDA is available here; nothing to refuse.");
            return;
        }

        var error = Assert.Throws<CudaUnavailableException>(() => CudaContext.Create());
        Assert.Equal(reason, error.Message);
        Assert.Throws<CudaUnavailableException>(() => CudaRuntime.DriverVersion);
    }

    [Fact]
    public void Unavailable_messages_always_carry_the_prefix_once()
    {
        Assert.Equal("CUDA backend unavailable: no device", new CudaUnavailableException("no device").Message);
        Assert.Equal("CUDA backend unavailable: no device",
            new CudaUnavailableException("CUDA backend unavailable: no device").Message);
    }
}
