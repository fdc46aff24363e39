using Svod.Gpu.Cuda;
using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>A failed call becomes one exception type that names the call, the status and what it means.</summary>
public sealed class CudaErrorTests
{
    [Theory]
    [InlineData(1, "CUDA_ERROR_INVALID_VALUE", "invalid argument")]
    [InlineData(2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory")]
    [InlineData(100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected")]
    [InlineData(209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device")]
    [InlineData(700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered")]
    [InlineData(901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
        "operation failed due to a previous error during capture")]
    public void The_fallback_table_names_common_driver_codes(int code, string name, string description)
    {
        Assert.Equal(name, CudaErrorNames.DriverName(code));
        Assert.Equal(description, CudaErrorNames.DriverDescription(code));
    }

    [Fact]
    public void Unknown_codes_still_get_a_readable_name()
    {
        Assert.Equal("CUDA_ERROR_12345", CudaErrorNames.DriverName(12345));
        Assert.Equal("NVRTC_ERROR_777", CudaErrorNames.NvrtcName(777));
        Assert.Equal("CUBLAS_STATUS_99", CudaErrorNames.CublasName(99));
    }

    [Fact]
    public void The_message_reads_call_name_code_and_description()
    {
        var error = new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
        Assert.Equal("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", error.Message);
        Assert.Equal("cuMemAlloc_v2", error.Call);
        Assert.Equal(2, error.Code);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", error.ErrorName);
    }

    [Fact]
    public void Driver_check_passes_success_and_throws_the_named_error()
    {
        CudaDriver.Check(0, "cuInit");
        var error = Assert.Throws<CudaException>(() => CudaDriver.Check(2, "cuMemAlloc_v2"));
        // The driver's own strings and the fallback table agree for this code, with or without a GPU.
        Assert.Equal("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", error.Message);
    }

    [Fact]
    public void Driver_errors_can_name_what_they_were_about()
    {
        var error = CudaDriver.Error(500, "cuModuleGetFunction", "kernel 'add_one'");
        Assert.Equal("CUDA_ERROR_NOT_FOUND", error.ErrorName);
        Assert.EndsWith("(kernel 'add_one')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nvrtc_check_names_the_result()
    {
        Nvrtc.Check(0, "nvrtcCompileProgram");
        var error = Assert.Throws<CudaException>(() => Nvrtc.Check(6, "nvrtcCompileProgram"));
        Assert.Equal("NVRTC_ERROR_COMPILATION", error.ErrorName);
        Assert.Equal(6, error.Code);
        Assert.StartsWith("nvrtcCompileProgram failed: NVRTC_ERROR_COMPILATION (6): ", error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Nvrtc_compile_errors_carry_the_log()
    {
        var error = Nvrtc.Error(6, "nvrtcCompileProgram", "k.cu(3): error: identifier \"x\" is undefined");
        Assert.Contains("identifier \"x\" is undefined", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cublas_check_names_the_status()
    {
        Cublas.Check(0, "cublasSgemm_v2");
        var error = Assert.Throws<CudaException>(() => Cublas.Check(7, "cublasSgemm_v2"));
        Assert.Equal("CUBLAS_STATUS_INVALID_VALUE", error.ErrorName);
        Assert.Equal("cublasSgemm_v2", error.Call);
        Assert.StartsWith("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7): ", error.Message,
            StringComparison.Ordinal);
    }
}
