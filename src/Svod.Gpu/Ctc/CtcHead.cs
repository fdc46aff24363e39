using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Svod.Gpu.Ctc;

/// <summary>
/// GigaAM's <c>CTCHead</c>: a <c>Conv1d(d_model, num_classes, kernel_size=1)</c> over the encoder frames, then
/// <c>log_softmax</c> over the classes. A kernel-1 convolution is a per-frame linear map, so this is
/// <c>logits[t] = W·frame[t] + b</c> with W [C, D] row-major (the Conv1d weight [C, D, 1] without its last axis).
/// Blank is the last class (C − 1), as in GigaAM's <c>CTCGreedyDecoding</c> (blank id = vocabulary size).
/// Immutable and thread-safe: <see cref="LogProbs"/> only writes its output.
/// </summary>
public sealed class CtcHead
{
    // Frames per block: each weight row is loaded once per block and reused from registers for this many frames.
    private const int FrameBlock = 4;

    private readonly float[] _weight;
    private readonly float[] _bias;

    /// <param name="weight">[classes, encoderDim] row-major: head.decoder_layers.0.weight without its kernel
    /// axis.</param>
    /// <param name="bias">[classes] (head.decoder_layers.0.bias).</param>
    public CtcHead(float[] weight, float[] bias, int encoderDim, int classes)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(encoderDim);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (weight.Length != (long)classes * encoderDim)
        {
            throw new ArgumentException(
                $"weight has {weight.Length} elements, expected [{classes}, {encoderDim}]", nameof(weight));
        }

        if (bias.Length != classes)
        {
            throw new ArgumentException($"bias has {bias.Length} elements, expected [{classes}]", nameof(bias));
        }

        _weight = weight;
        _bias = bias;
        EncoderDim = encoderDim;
        Classes = classes;
    }

    /// <summary>d_model: the width of an encoder frame (GigaAM's <c>head.feat_in</c>).</summary>
    public int EncoderDim { get; }

    /// <summary>C: tokens + blank (GigaAM's <c>head.num_classes</c>).</summary>
    public int Classes { get; }

    /// <summary>The blank class: the last one, C − 1.</summary>
    public int Blank => Classes - 1;

    /// <summary>[C, D] row-major.</summary>
    public ReadOnlyMemory<float> Weight => _weight;

    /// <summary>[C].</summary>
    public ReadOnlyMemory<float> Bias => _bias;

    /// <summary>
    /// Encoder frames [T, D] row-major → log-probabilities [T, C] row-major (natural log; each row's
    /// exp sums to 1). T is <c>frames.Length / D</c>; <paramref name="output"/> must hold exactly T × C floats.
    /// </summary>
    public void LogProbs(ReadOnlySpan<float> frames, Span<float> output)
    {
        int d = EncoderDim, c = Classes;
        if (frames.Length % d != 0)
        {
            throw new ArgumentException(
                $"frames has {frames.Length} floats, not a multiple of d_model = {d}", nameof(frames));
        }

        var rows = frames.Length / d;
        if (output.Length != (long)rows * c)
        {
            throw new ArgumentException(
                $"output has {output.Length} floats, expected {rows} frames × {c} classes = {(long)rows * c}",
                nameof(output));
        }

        var t = 0;
        for (; t + FrameBlock <= rows; t += FrameBlock)
        {
            LogitsBlock(frames.Slice(t * d, FrameBlock * d), output.Slice(t * c, FrameBlock * c));
        }

        for (; t < rows; t++)
        {
            var frame = frames.Slice(t * d, d);
            var row = output.Slice(t * c, c);
            for (var k = 0; k < c; k++)
            {
                row[k] = TensorPrimitives.Dot(frame, _weight.AsSpan(k * d, d)) + _bias[k];
            }
        }

        for (t = 0; t < rows; t++)
        {
            LogSoftmax(output.Slice(t * c, c));
        }
    }

    /// <summary>Logits of <see cref="FrameBlock"/> frames: four dot products per weight row, sharing its
    /// loads.</summary>
    private void LogitsBlock(ReadOnlySpan<float> frames, Span<float> output)
    {
        int d = EncoderDim, c = Classes;
        var x0 = frames[..d];
        var x1 = frames.Slice(d, d);
        var x2 = frames.Slice(2 * d, d);
        var x3 = frames.Slice(3 * d, d);
        var v0 = MemoryMarshal.Cast<float, Vector<float>>(x0);
        var v1 = MemoryMarshal.Cast<float, Vector<float>>(x1);
        var v2 = MemoryMarshal.Cast<float, Vector<float>>(x2);
        var v3 = MemoryMarshal.Cast<float, Vector<float>>(x3);
        var vectorEnd = v0.Length * Vector<float>.Count;
        for (var k = 0; k < c; k++)
        {
            var w = _weight.AsSpan(k * d, d);
            var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var i = 0; i < vw.Length; i++)
            {
                var wi = vw[i];
                a0 = Vector.FusedMultiplyAdd(wi, v0[i], a0);
                a1 = Vector.FusedMultiplyAdd(wi, v1[i], a1);
                a2 = Vector.FusedMultiplyAdd(wi, v2[i], a2);
                a3 = Vector.FusedMultiplyAdd(wi, v3[i], a3);
            }

            float s0 = Vector.Sum(a0), s1 = Vector.Sum(a1), s2 = Vector.Sum(a2), s3 = Vector.Sum(a3);
            for (var i = vectorEnd; i < d; i++)
            {
                s0 += w[i] * x0[i];
                s1 += w[i] * x1[i];
                s2 += w[i] * x2[i];
                s3 += w[i] * x3[i];
            }

            var b = _bias[k];
            output[k] = s0 + b;
            output[c + k] = s1 + b;
            output[(2 * c) + k] = s2 + b;
            output[(3 * c) + k] = s3 + b;
        }
    }

    /// <summary>In place, as PyTorch computes it: <c>(x − max) − log Σ exp(x − max)</c>.</summary>
    private static void LogSoftmax(Span<float> row)
    {
        var max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        var sum = 0f;
        foreach (var x in row)
        {
            sum += MathF.Exp(x);
        }

        TensorPrimitives.Subtract(row, MathF.Log(sum), row);
    }
}
