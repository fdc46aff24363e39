namespace Svod.Gpu.Decoding.Kernels;

/// <summary>
/// The canonical arithmetic every decoder in Svod.Gpu follows, written plainly. The batched kernels compute the
/// same expressions in the same order (see <see cref="Gemm"/>), so their results are equal bit for bit.
/// </summary>
internal static class ScalarMath
{
    /// <summary>Σ x[k]·w[k·stride] as one FMA chain from +0, k ascending.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> w)
    {
        var acc = 0f;
        for (var k = 0; k < x.Length; k++)
        {
            acc = MathF.FusedMultiplyAdd(x[k], w[k], acc);
        }

        return acc;
    }

    /// <summary>y[n] = Dot(x, W[n, :]) + bias[n] for a PyTorch <c>[N, K]</c> weight.</summary>
    public static void Linear(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y)
    {
        var k = x.Length;
        for (var n = 0; n < y.Length; n++)
        {
            y[n] = Dot(x, weight.Slice(n * k, k)) + bias[n];
        }
    }

    /// <summary>Index of the first largest value: the choice of <c>torch.argmax</c> on ties.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        var bestValue = values[0];
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > bestValue)
            {
                bestValue = values[i];
                best = i;
            }
        }

        return best;
    }
}
