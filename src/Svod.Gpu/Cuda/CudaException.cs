namespace Svod.Gpu.Cuda;

/// <summary>
/// A failed CUDA driver, NVRTC or cuBLAS call. The message reads
/// <c>cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory</c>.
/// </summary>
public sealed class CudaException : Exception
{
    public CudaException(string call, int code, string errorName, string description)
        : base($"{call} failed: {errorName} ({code}): {description}")
    {
        Call = call;
        Code = code;
        ErrorName = errorName;
    }

    /// <summary>The status's enumerator name: <c>CUDA_ERROR_OUT_OF_MEMORY</c>, <c>NVRTC_ERROR_COMPILATION</c>,
    /// <c>CUBLAS_STATUS_INVALID_VALUE</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The numeric status (<c>CUresult</c>, <c>nvrtcResult</c> or <c>cublasStatus_t</c>).</summary>
    public int Code { get; }

    /// <summary>The API function that failed, as exported (<c>cuMemAlloc_v2</c>).</summary>
    public string Call { get; }
}
