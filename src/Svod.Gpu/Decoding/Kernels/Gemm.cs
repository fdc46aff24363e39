using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Svod.Gpu.Decoding.Kernels;

/// <summary>
/// <c>Y[r] = X[r]·Wᵀ + A[r]</c> over rows given by pointer, against a <see cref="PackedMatrix"/>.
/// Every output element is one fused-multiply-add chain over k = 0..K-1 starting from +0, then one add of its
/// addend: the same rounding as <see cref="ScalarMath.Dot"/> followed by <c>+ addend</c>. That is what makes a
/// batched decode bitwise equal to the one-utterance reference, whatever the batch composition, row position or
/// vector width.
/// </summary>
internal static unsafe class Gemm
{
    /// <param name="x">row pointers, each to K floats.</param>
    /// <param name="y">row pointers, each to <see cref="PackedMatrix.PaddedN"/> floats.</param>
    /// <param name="addend">row pointers, each to PaddedN floats (a shared bias row, or a per-row vector).</param>
    /// <param name="pad">rows that fill a partial block: a zero input row, a scratch output row, a zero addend.</param>
    public static void Multiply(PackedMatrix w, float** x, float** y, float** addend, int rows, in GemmPadRows pad) =>
        Multiply(w, x, y, addend, rows, pad, Best);

    /// <summary>The widest kernel this machine runs natively.</summary>
    public static GemmIsa Best { get; } =
        Vector512.IsHardwareAccelerated ? GemmIsa.Avx512 : Vector256.IsHardwareAccelerated ? GemmIsa.Avx2 : GemmIsa.Scalar;

    /// <summary>As above with a chosen kernel; every choice gives the same bits (tests run all of them).</summary>
    public static void Multiply(PackedMatrix w, float** x, float** y, float** addend, int rows, in GemmPadRows pad,
        GemmIsa isa)
    {
        if (rows <= 0)
        {
            return;
        }

        var tx = stackalloc float*[8];
        var ty = stackalloc float*[8];
        var ta = stackalloc float*[8];
        for (var p = 0; p < w.Panels; p++)
        {
            var panel = w.Panel(p);
            var offset = p * PackedMatrix.PanelWidth;
            var r = 0;
            for (; r + 8 <= rows; r += 8)
            {
                Block(w.K, panel, offset, x + r, y + r, addend + r, 8, isa);
            }

            var tail = rows - r;
            if (tail == 0)
            {
                continue;
            }

            var size = tail <= 4 ? 4 : 8;
            for (var i = 0; i < size; i++)
            {
                var real = i < tail;
                tx[i] = real ? x[r + i] : pad.ZeroInput;
                ty[i] = real ? y[r + i] : pad.Discard;
                ta[i] = real ? addend[r + i] : pad.ZeroAddend;
            }

            Block(w.K, panel, offset, tx, ty, ta, size, isa);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block(int k, float* panel, int offset, float** x, float** y, float** a, int size, GemmIsa isa)
    {
        if (isa == GemmIsa.Avx512)
        {
            if (size == 8)
            {
                Kernel8x32V512(k, panel, offset, x, y, a);
            }
            else
            {
                Kernel4x32V512(k, panel, offset, x, y, a);
            }
        }
        else if (isa == GemmIsa.Avx2)
        {
            Kernel4x32V256(k, panel, offset, x, y, a, size);
        }
        else
        {
            KernelScalar(k, panel, offset, x, y, a, size);
        }
    }

    private static void Kernel8x32V512(int k, float* w, int offset, float** x, float** y, float** a)
    {
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4], x5 = x[5], x6 = x[6], x7 = x[7];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (var i = 0; i < k; i++, w += 32)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var b = Vector512.Create(x0[i]);
            c00 = Vector512.FusedMultiplyAdd(b, w0, c00);
            c01 = Vector512.FusedMultiplyAdd(b, w1, c01);
            b = Vector512.Create(x1[i]);
            c10 = Vector512.FusedMultiplyAdd(b, w0, c10);
            c11 = Vector512.FusedMultiplyAdd(b, w1, c11);
            b = Vector512.Create(x2[i]);
            c20 = Vector512.FusedMultiplyAdd(b, w0, c20);
            c21 = Vector512.FusedMultiplyAdd(b, w1, c21);
            b = Vector512.Create(x3[i]);
            c30 = Vector512.FusedMultiplyAdd(b, w0, c30);
            c31 = Vector512.FusedMultiplyAdd(b, w1, c31);
            b = Vector512.Create(x4[i]);
            c40 = Vector512.FusedMultiplyAdd(b, w0, c40);
            c41 = Vector512.FusedMultiplyAdd(b, w1, c41);
            b = Vector512.Create(x5[i]);
            c50 = Vector512.FusedMultiplyAdd(b, w0, c50);
            c51 = Vector512.FusedMultiplyAdd(b, w1, c51);
            b = Vector512.Create(x6[i]);
            c60 = Vector512.FusedMultiplyAdd(b, w0, c60);
            c61 = Vector512.FusedMultiplyAdd(b, w1, c61);
            b = Vector512.Create(x7[i]);
            c70 = Vector512.FusedMultiplyAdd(b, w0, c70);
            c71 = Vector512.FusedMultiplyAdd(b, w1, c71);
        }

        Store512(c00, c01, y[0] + offset, a[0] + offset);
        Store512(c10, c11, y[1] + offset, a[1] + offset);
        Store512(c20, c21, y[2] + offset, a[2] + offset);
        Store512(c30, c31, y[3] + offset, a[3] + offset);
        Store512(c40, c41, y[4] + offset, a[4] + offset);
        Store512(c50, c51, y[5] + offset, a[5] + offset);
        Store512(c60, c61, y[6] + offset, a[6] + offset);
        Store512(c70, c71, y[7] + offset, a[7] + offset);
    }

    private static void Kernel4x32V512(int k, float* w, int offset, float** x, float** y, float** a)
    {
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (var i = 0; i < k; i++, w += 32)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var b = Vector512.Create(x0[i]);
            c00 = Vector512.FusedMultiplyAdd(b, w0, c00);
            c01 = Vector512.FusedMultiplyAdd(b, w1, c01);
            b = Vector512.Create(x1[i]);
            c10 = Vector512.FusedMultiplyAdd(b, w0, c10);
            c11 = Vector512.FusedMultiplyAdd(b, w1, c11);
            b = Vector512.Create(x2[i]);
            c20 = Vector512.FusedMultiplyAdd(b, w0, c20);
            c21 = Vector512.FusedMultiplyAdd(b, w1, c21);
            b = Vector512.Create(x3[i]);
            c30 = Vector512.FusedMultiplyAdd(b, w0, c30);
            c31 = Vector512.FusedMultiplyAdd(b, w1, c31);
        }

        Store512(c00, c01, y[0] + offset, a[0] + offset);
        Store512(c10, c11, y[1] + offset, a[1] + offset);
        Store512(c20, c21, y[2] + offset, a[2] + offset);
        Store512(c30, c31, y[3] + offset, a[3] + offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(Vector512<float> lo, Vector512<float> hi, float* y, float* a)
    {
        (lo + Vector512.Load(a)).Store(y);
        (hi + Vector512.Load(a + 16)).Store(y + 16);
    }

    /// <summary>AVX2 machines: 4 rows × 32 columns as 16 accumulators of 8 lanes.</summary>
    private static void Kernel4x32V256(int k, float* w, int offset, float** x, float** y, float** a, int size)
    {
        var acc = stackalloc Vector256<float>[16];
        for (var r0 = 0; r0 < size; r0 += 4)
        {
            float* x0 = x[r0], x1 = x[r0 + 1], x2 = x[r0 + 2], x3 = x[r0 + 3];
            for (var i = 0; i < 16; i++)
            {
                acc[i] = default;
            }

            var wp = w;
            for (var i = 0; i < k; i++, wp += 32)
            {
                var w0 = Vector256.Load(wp);
                var w1 = Vector256.Load(wp + 8);
                var w2 = Vector256.Load(wp + 16);
                var w3 = Vector256.Load(wp + 24);
                Row(ref acc[0], Vector256.Create(x0[i]), w0, w1, w2, w3);
                Row(ref acc[4], Vector256.Create(x1[i]), w0, w1, w2, w3);
                Row(ref acc[8], Vector256.Create(x2[i]), w0, w1, w2, w3);
                Row(ref acc[12], Vector256.Create(x3[i]), w0, w1, w2, w3);
            }

            for (var r = 0; r < 4; r++)
            {
                float* yr = y[r0 + r] + offset, ar = a[r0 + r] + offset;
                for (var v = 0; v < 4; v++)
                {
                    (acc[r * 4 + v] + Vector256.Load(ar + v * 8)).Store(yr + v * 8);
                }
            }
        }

        static void Row(ref Vector256<float> c, Vector256<float> b, Vector256<float> w0, Vector256<float> w1,
            Vector256<float> w2, Vector256<float> w3)
        {
            c = Vector256.FusedMultiplyAdd(b, w0, c);
            Unsafe.Add(ref c, 1) = Vector256.FusedMultiplyAdd(b, w1, Unsafe.Add(ref c, 1));
            Unsafe.Add(ref c, 2) = Vector256.FusedMultiplyAdd(b, w2, Unsafe.Add(ref c, 2));
            Unsafe.Add(ref c, 3) = Vector256.FusedMultiplyAdd(b, w3, Unsafe.Add(ref c, 3));
        }
    }

    private static void KernelScalar(int k, float* w, int offset, float** x, float** y, float** a, int size)
    {
        for (var r = 0; r < size; r++)
        {
            for (var c = 0; c < PackedMatrix.PanelWidth; c++)
            {
                var acc = 0f;
                for (var i = 0; i < k; i++)
                {
                    acc = MathF.FusedMultiplyAdd(x[r][i], w[i * PackedMatrix.PanelWidth + c], acc);
                }

                y[r][offset + c] = acc + a[r][offset + c];
            }
        }
    }
}

/// <summary>Which micro-kernel <see cref="Gemm"/> runs: 512-bit, 256-bit or scalar FMA.</summary>
internal enum GemmIsa
{
    Scalar,
    Avx2,
    Avx512,
}

/// <summary>Rows that stand in for missing rows of a partial block (see <see cref="Gemm"/>).</summary>
internal readonly unsafe struct GemmPadRows(float* zeroInput, float* discard, float* zeroAddend)
{
    public float* ZeroInput { get; } = zeroInput;

    public float* Discard { get; } = discard;

    public float* ZeroAddend { get; } = zeroAddend;
}
