using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Svod.Gpu.Cuda.Native;

/// <summary>
/// cuBLAS (cublas_api.h, the v2 API). Every function returns a <c>cublasStatus_t</c> (0 = success).
/// <c>cublasHandle_t</c> and <c>cudaStream_t</c> (= <c>CUstream</c>) are <c>nint</c>; device matrices are
/// <c>CUdeviceptr</c> (<c>ulong</c>). Scalars <c>alpha</c>/<c>beta</c> are host pointers (the default
/// <c>CUBLAS_POINTER_MODE_HOST</c>): read during the call, so a stack address is fine, also under graph capture.
/// <para>
/// Matrices are column-major, as in Fortran BLAS: an m×n matrix with leading dimension ld stores element (i, j)
/// at <c>i + j·ld</c>, ld ≥ m. <c>C = α·op(A)·op(B) + β·C</c> with op(A) m×k, op(B) k×n, C m×n; op is identity for
/// <see cref="OpN"/> and transpose for <see cref="OpT"/>. A row-major r×c matrix is, byte for byte,
/// the column-major c×r matrix of its transpose with ld = c — the mapping
/// <see cref="CublasHandle.LinearRowMajor"/> uses.
/// </para>
/// Call only after <see cref="CudaLibraries.TryLoad"/> succeeded.
/// </summary>
internal static unsafe partial class Cublas
{
    internal const int Success = 0;

    // cublasOperation_t
    internal const int OpN = 0;
    internal const int OpT = 1;

    // cublasComputeType_t
    internal const int Compute32F = 68;
    internal const int Compute32FPedantic = 69;

    // cublasGemmAlgo_t
    internal const int GemmDefault = -1;

    static Cublas() => CudaLibraries.RegisterResolver();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(int status, string call)
    {
        if (status != Success)
        {
            Throw(status, call);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [DoesNotReturn]
    private static void Throw(int status, string call) => throw Error(status, call);

    internal static CudaException Error(int status, string call)
    {
        var name = NativeString(status, name: true) ?? CudaErrorNames.CublasName(status);
        var description = NativeString(status, name: false) ?? CudaErrorNames.CublasDescription(status);
        return new CudaException(call, status, name, description);
    }

    private static string? NativeString(int status, bool name)
    {
        if (!CudaLibraries.CublasLoaded)
        {
            return null;
        }

        try
        {
            var text = name ? cublasGetStatusName(status) : cublasGetStatusString(status);
            return text == null ? null : Marshal.PtrToStringUTF8((nint)text);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial int cublasCreate_v2(nint* handle);

    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial int cublasDestroy_v2(nint handle);

    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial int cublasSetStream_v2(nint handle, nint stream);

    /// <summary><paramref name="mode"/>: a <c>cublasMath_t</c>, see <see cref="CublasMathMode"/>.</summary>
    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial int cublasSetMathMode(nint handle, int mode);

    /// <summary>A user-owned workspace (device memory) instead of the one cuBLAS allocates itself; keeps
    /// allocations out of graph capture. Size in bytes.</summary>
    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial int cublasSetWorkspace_v2(nint handle, ulong workspace, nuint workspaceSizeInBytes);

    /// <summary>Column-major <c>C = α·op(A)·op(B) + β·C</c>, all float32.</summary>
    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial int cublasSgemm_v2(
        nint handle, int transa, int transb, int m, int n, int k,
        float* alpha, ulong a, int lda, ulong b, int ldb,
        float* beta, ulong c, int ldc);

    /// <summary>
    /// Column-major GEMM with per-matrix <c>cudaDataType</c> (<see cref="CudaDataType"/>) and a
    /// <c>cublasComputeType_t</c>. For <see cref="Compute32F"/>, alpha/beta are float; A and B must share a type
    /// (f16·f16 or bf16·bf16 with C f16/bf16 or f32; f32·f32 with C f32).
    /// </summary>
    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial int cublasGemmEx(
        nint handle, int transa, int transb, int m, int n, int k,
        void* alpha, ulong a, int aType, int lda, ulong b, int bType, int ldb,
        void* beta, ulong c, int cType, int ldc, int computeType, int algo);

    /// <summary>Column-major batched SGEMM: matrix i of A starts at <c>a + i·strideA</c> elements, likewise B, C.
    /// </summary>
    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial int cublasSgemmStridedBatched(
        nint handle, int transa, int transb, int m, int n, int k,
        float* alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB,
        float* beta, ulong c, int ldc, long strideC, int batchCount);

    /// <summary>A static string ("CUBLAS_STATUS_INVALID_VALUE"), cuBLAS ≥ 11.4.2.</summary>
    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial byte* cublasGetStatusName(int status);

    /// <summary>A static description, cuBLAS ≥ 11.4.2.</summary>
    [LibraryImport(CudaLibraries.CublasName)]
    internal static partial byte* cublasGetStatusString(int status);
}
