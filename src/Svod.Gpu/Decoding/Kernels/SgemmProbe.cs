using System.Diagnostics;

namespace Svod.Gpu.Decoding.Kernels;

/// <summary>Measures this core's single-precision GEMM rate with the decoder's own kernel, so benchmark tables can
/// show how far decoding is from the hardware limit.</summary>
public static unsafe class SgemmProbe
{
    /// <returns>GFLOP/s of <c>[m, k]·[k, n]</c> on the calling thread, best of repeated runs over ~seconds.</returns>
    public static double MeasureGflops(int m = 256, int n = 1024, int k = 1024, double seconds = 1.0)
    {
        var random = new Random(1);
        var weight = new float[n * k];
        for (var i = 0; i < weight.Length; i++)
        {
            weight[i] = (float)random.NextDouble();
        }

        using var packed = new PackedMatrix(weight, n, k);
        using var x = new AlignedBuffer((long)m * k);
        using var y = new AlignedBuffer((long)m * packed.PaddedN);
        using var bias = new AlignedBuffer(packed.PaddedN);
        using var discard = new AlignedBuffer(packed.PaddedN);
        var xr = GC.AllocateArray<nint>(m, pinned: true);
        var yr = GC.AllocateArray<nint>(m, pinned: true);
        var ar = GC.AllocateArray<nint>(m, pinned: true);
        for (var r = 0; r < m; r++)
        {
            xr[r] = (nint)(x.Pointer + (long)r * k);
            yr[r] = (nint)(y.Pointer + (long)r * packed.PaddedN);
            ar[r] = (nint)bias.Pointer;
        }

        var pad = new GemmPadRows(x.Pointer, discard.Pointer, bias.Pointer);
        var best = double.MaxValue;
        var total = Stopwatch.StartNew();
        fixed (nint* px = xr, py = yr, pa = ar)
        {
            do
            {
                var start = Stopwatch.GetTimestamp();
                Gemm.Multiply(packed, (float**)px, (float**)py, (float**)pa, m, pad);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            while (total.Elapsed.TotalSeconds < seconds);
        }

        return 2.0 * m * n * k / best / 1e9;
    }
}
