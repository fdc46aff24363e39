namespace Svod.Gpu.Cuda;

/// <summary><c>cublasMath_t</c>.</summary>
public enum CublasMathMode
{
    /// <summary><c>CUBLAS_DEFAULT_MATH</c>: float32 GEMMs stay float32 (no TF32) unless NVIDIA_TF32_OVERRIDE says
    /// otherwise.</summary>
    Default = 0,

    /// <summary><c>CUBLAS_PEDANTIC_MATH</c>: exactly the prescribed compute type, no reduced-precision shortcuts.
    /// </summary>
    Pedantic = 2,

    /// <summary><c>CUBLAS_TF32_TENSOR_OP_MATH</c>: float32 GEMMs may use TF32 tensor cores (10-bit mantissa inputs).
    /// </summary>
    Tf32TensorOp = 3,
}
