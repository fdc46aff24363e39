using System.Runtime.Intrinsics;
using Svod.Gpu.Decoding.Kernels;

namespace Svod.Gpu.Tests;

/// <summary>The GEMM kernels give the canonical arithmetic's bits for every shape, row count and instruction set.</summary>
public sealed unsafe class GemmTests
{
    /// <summary>The kernels this machine can run (names of <see cref="GemmIsa"/>, which is internal).</summary>
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string> { nameof(GemmIsa.Scalar) };
        if (Vector256.IsHardwareAccelerated)
        {
            data.Add(nameof(GemmIsa.Avx2));
        }

        if (Vector512.IsHardwareAccelerated)
        {
            data.Add(nameof(GemmIsa.Avx512));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Every_kernel_equals_the_scalar_dot_product_bit_for_bit(string kernel)
    {
        var isa = Enum.Parse<GemmIsa>(kernel);
        var random = new Random((int)isa);
        foreach (var (n, k, rows) in new[] { (1, 1, 1), (31, 7, 3), (32, 64, 8), (33, 5, 9), (70, 320, 13), (1280, 40, 21) })
        {
            var weight = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var inputs = Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, k)
                .Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray()).ToArray();
            using var packed = new PackedMatrix(weight, n, k);
            var addends = Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, packed.PaddedN)
                .Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
            var outputs = Enumerable.Range(0, rows).Select(_ => new float[packed.PaddedN]).ToArray();
            Run(packed, inputs, outputs, addends, isa);

            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < n; c++)
                {
                    var expected = ScalarMath.Dot(inputs[r], weight.AsSpan(c * k, k)) + addends[r][c];
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(outputs[r][c]),
                        $"{isa} n={n} k={k} rows={rows}: row {r} column {c} is {outputs[r][c]:R}, expected {expected:R}");
                }
            }
        }
    }

    private static void Run(PackedMatrix packed, float[][] x, float[][] y, float[][] a, GemmIsa isa)
    {
        var rows = x.Length;
        var handles = x.Concat(y).Concat(a).Select(arr => System.Runtime.InteropServices.GCHandle.Alloc(arr,
            System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            var xr = stackalloc float*[rows];
            var yr = stackalloc float*[rows];
            var ar = stackalloc float*[rows];
            for (var r = 0; r < rows; r++)
            {
                xr[r] = (float*)handles[r].AddrOfPinnedObject();
                yr[r] = (float*)handles[rows + r].AddrOfPinnedObject();
                ar[r] = (float*)handles[2 * rows + r].AddrOfPinnedObject();
            }

            using var zero = new AlignedBuffer(packed.K);
            using var discard = new AlignedBuffer(packed.PaddedN);
            using var zeroAddend = new AlignedBuffer(packed.PaddedN);
            Gemm.Multiply(packed, xr, yr, ar, rows, new GemmPadRows(zero.Pointer, discard.Pointer, zeroAddend.Pointer),
                isa);
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }
    }
}
