using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// A cuBLAS handle bound to one stream, created in the context current at construction. All GEMMs are enqueued on
/// that stream (and may be captured into a graph). Matrix arguments are device addresses.
/// <para>
/// cuBLAS is column-major. Svod's tensors are row-major, and a row-major r×c matrix is the column-major c×r matrix
/// of its transpose. For a linear layer Y[rows, out] = X[rows, in] · Wᵀ with W row-major [out, in]:
/// Yᵀ (column-major out×rows, ld = out) = W · Xᵀ, where the bytes of W read column-major are Wᵀ (in×out, ld = in),
/// so op(A) = transpose gives W, and the bytes of X read column-major are Xᵀ (in×rows, ld = in), op(B) = identity.
/// That is <c>Sgemm(transA: true, transB: false, m: out, n: rows, k: in, a: W, lda: in, b: X, ldb: in,
/// c: Y, ldc: out)</c>, which <see cref="LinearRowMajor"/> issues.
/// </para>
/// </summary>
public sealed unsafe class CublasHandle : IDisposable
{
    private readonly nint _context;
    private nint _handle;

    public CublasHandle(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _context = ContextScope.Current();
        nint handle;
        Cublas.Check(Cublas.cublasCreate_v2(&handle), "cublasCreate_v2");
        _handle = handle;
        try
        {
            SetStream(stream);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CublasHandle));

    /// <summary>Enqueues later calls on <paramref name="stream"/>.</summary>
    public void SetStream(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Cublas.Check(Cublas.cublasSetStream_v2(Handle, stream.Handle), "cublasSetStream_v2");
    }

    public void SetMathMode(CublasMathMode mode) =>
        Cublas.Check(Cublas.cublasSetMathMode(Handle, (int)mode), "cublasSetMathMode");

    /// <summary>
    /// Gives cuBLAS its scratch memory, so no allocation happens inside a graph capture; the buffer must outlive the
    /// handle's use. NVIDIA recommends 32 MiB on Hopper, 4 MiB before.
    /// </summary>
    public void SetWorkspace(DeviceBuffer<byte> workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        Cublas.Check(
            Cublas.cublasSetWorkspace_v2(Handle, workspace.Pointer, (nuint)workspace.Bytes), "cublasSetWorkspace_v2");
    }

    /// <summary>Column-major <c>C[m×n] = α·op(A)·op(B) + β·C</c>, float32; op(A) is m×k, op(B) k×n.</summary>
    public void Sgemm(
        bool transA, bool transB, int m, int n, int k, float alpha, ulong a, int lda, ulong b, int ldb,
        float beta, ulong c, int ldc)
    {
        Cublas.Check(
            Cublas.cublasSgemm_v2(
                Handle, Op(transA), Op(transB), m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc),
            "cublasSgemm_v2");
    }

    /// <summary>
    /// Row-major linear layer, float32: <c>Y[rows, outFeatures] = X[rows, inFeatures] · Wᵀ + beta·Y</c> with W
    /// row-major <c>[outFeatures, inFeatures]</c> (PyTorch's <c>nn.Linear.weight</c> layout). See the type's remarks.
    /// </summary>
    public void LinearRowMajor(
        ulong x, int rows, int inFeatures, ulong w, int outFeatures, ulong y, float beta = 0) =>
        Sgemm(transA: true, transB: false, m: outFeatures, n: rows, k: inFeatures, alpha: 1, a: w, lda: inFeatures,
            b: x, ldb: inFeatures, beta: beta, c: y, ldc: outFeatures);

    /// <summary>
    /// Column-major GEMM with per-operand types and float32 compute (<c>CUBLAS_COMPUTE_32F</c>, alpha/beta float).
    /// cuBLAS requires <paramref name="aType"/> = <paramref name="bType"/>; C is that type or float32.
    /// </summary>
    public void GemmEx(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ulong a, CudaDataType aType, int lda, ulong b, CudaDataType bType, int ldb,
        float beta, ulong c, CudaDataType cType, int ldc)
    {
        Cublas.Check(
            Cublas.cublasGemmEx(
                Handle, Op(transA), Op(transB), m, n, k, &alpha, a, (int)aType, lda, b, (int)bType, ldb,
                &beta, c, (int)cType, ldc, Cublas.Compute32F, Cublas.GemmDefault),
            "cublasGemmEx");
    }

    /// <summary>
    /// <see cref="LinearRowMajor"/> with W and X both in <paramref name="operandType"/> (f16 or bf16 weights; the
    /// activations converted to the same type, as cuBLAS has no f16×f32 GEMM), accumulating in float32 and
    /// writing float32 Y.
    /// </summary>
    public void LinearRowMajorMixed(
        ulong x, int rows, int inFeatures, ulong w, int outFeatures, ulong y, CudaDataType operandType,
        float beta = 0) =>
        GemmEx(transA: true, transB: false, m: outFeatures, n: rows, k: inFeatures, alpha: 1,
            a: w, aType: operandType, lda: inFeatures, b: x, bType: operandType, ldb: inFeatures,
            beta: beta, c: y, cType: CudaDataType.Float32, ldc: outFeatures);

    /// <summary>
    /// <paramref name="batchCount"/> column-major SGEMMs; matrix i of A starts <paramref name="strideA"/> elements
    /// after matrix i − 1 (likewise B and C).
    /// </summary>
    public void SgemmStridedBatched(
        bool transA, bool transB, int m, int n, int k, float alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, float beta, ulong c, int ldc, long strideC, int batchCount)
    {
        Cublas.Check(
            Cublas.cublasSgemmStridedBatched(
                Handle, Op(transA), Op(transB), m, n, k, &alpha, a, lda, strideA, b, ldb, strideB,
                &beta, c, ldc, strideC, batchCount),
            "cublasSgemmStridedBatched");
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            using var scope = new ContextScope(_context);
            _ = Cublas.cublasDestroy_v2(handle);
        }
    }

    private static int Op(bool transpose) => transpose ? Cublas.OpT : Cublas.OpN;
}
