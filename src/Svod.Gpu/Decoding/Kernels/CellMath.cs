using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Svod.Gpu.Decoding.Kernels;

/// <summary>
/// Element-wise steps shared by the reference decoder and the batched backends. Both call them per utterance on
/// spans of the same lengths, so any difference between a vector and a scalar path inside them cannot make a
/// batched result differ from the reference.
/// </summary>
internal static class CellMath
{
    /// <summary>
    /// One PyTorch LSTM cell update from pre-activation gates (i, f, g, o stacked, each <c>h.Length</c> wide):
    /// <c>c = σ(f)·c + σ(i)·tanh(g)</c>, <c>h = σ(o)·tanh(c)</c>. <paramref name="scratch"/> holds 2·H floats.
    /// </summary>
    public static void LstmUpdate(ReadOnlySpan<float> gates, Span<float> h, Span<float> c, Span<float> scratch)
    {
        var n = h.Length;
        var ig = scratch[..n];
        var tmp = scratch.Slice(n, n);
        TensorPrimitives.Sigmoid(gates[..n], ig);
        TensorPrimitives.Tanh(gates.Slice(2 * n, n), tmp);
        TensorPrimitives.Multiply(ig, tmp, ig);
        TensorPrimitives.Sigmoid(gates.Slice(n, n), tmp);
        TensorPrimitives.Multiply(tmp, c, c);
        TensorPrimitives.Add(c, ig, c);
        TensorPrimitives.Tanh(c, tmp);
        TensorPrimitives.Sigmoid(gates.Slice(3 * n, n), ig);
        TensorPrimitives.Multiply(ig, tmp, h);
    }

    /// <summary>The joint's hidden input: <c>z = ReLU(encoderProjection + predictorProjection)</c>.</summary>
    public static void JointInput(ReadOnlySpan<float> encoder, ReadOnlySpan<float> predictor, Span<float> z)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= z.Length; i += 16)
            {
                var s = Vector512.Create(encoder.Slice(i, 16)) + Vector512.Create(predictor.Slice(i, 16));
                Vector512.ConditionalSelect(Vector512.GreaterThan(s, Vector512<float>.Zero), s, Vector512<float>.Zero)
                    .CopyTo(z.Slice(i, 16));
            }
        }

        for (; i < z.Length; i++)
        {
            var s = encoder[i] + predictor[i];
            z[i] = s > 0f ? s : 0f;
        }
    }
}
