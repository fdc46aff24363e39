namespace Svod.Gpu.Cuda;

/// <summary>Element types of cuBLAS operands (<c>cudaDataType</c> in library_types.h).</summary>
public enum CudaDataType
{
    /// <summary><c>CUDA_R_32F</c>.</summary>
    Float32 = 0,

    /// <summary><c>CUDA_R_16F</c>, IEEE half.</summary>
    Float16 = 2,

    /// <summary><c>CUDA_R_16BF</c>, bfloat16.</summary>
    BFloat16 = 14,
}
