using Svod.Gpu.Ctc;

namespace Svod.Gpu.Tests.Ctc;

/// <summary>The CTC head's log-probs against a plain double-precision Conv1d(k=1) + log_softmax.</summary>
public sealed class CtcHeadTests
{
    [Theory]
    [InlineData(16, 8, 0)]
    [InlineData(16, 8, 1)]
    [InlineData(16, 8, 9)] // two blocks of four frames and a tail
    [InlineData(19, 5, 7)] // d_model not a multiple of the vector width
    [InlineData(768, 34, 13)]
    [InlineData(768, 1025, 6)]
    public void Log_probs_equal_a_double_precision_reference(int dim, int classes, int rows)
    {
        var random = new Random((dim * 31) + classes + rows);
        var head = RandomHead(dim, classes, random);
        var frames = Enumerable.Range(0, rows * dim).Select(_ => (float)((random.NextDouble() * 6) - 3)).ToArray();
        var output = new float[rows * classes];
        head.LogProbs(frames, output);

        var expected = Reference(head, frames, rows);
        for (var i = 0; i < output.Length; i++)
        {
            Assert.True(Math.Abs(output[i] - expected[i]) <= 2e-5 * Math.Max(1, Math.Abs(expected[i])),
                $"frame {i / classes} class {i % classes}: {output[i]} vs {expected[i]}");
        }

        for (var t = 0; t < rows; t++)
        {
            var sum = output.AsSpan(t * classes, classes).ToArray().Sum(x => Math.Exp(x));
            Assert.InRange(sum, 1 - 1e-5, 1 + 1e-5);
        }
    }

    [Fact]
    public void Frames_are_independent_of_the_block_they_fall_in()
    {
        var random = new Random(5);
        var head = RandomHead(40, 12, random);
        var frames = Enumerable.Range(0, 11 * 40).Select(_ => (float)random.NextDouble()).ToArray();
        var all = new float[11 * 12];
        head.LogProbs(frames, all);
        for (var t = 0; t < 11; t++)
        {
            var one = new float[12];
            head.LogProbs(frames.AsSpan(t * 40, 40), one);
            for (var k = 0; k < 12; k++)
            {
                Assert.Equal(all[(t * 12) + k], one[k], 5e-6f);
            }
        }
    }

    [Fact]
    public void Mismatched_buffers_are_refused_with_the_sizes()
    {
        var head = RandomHead(8, 4, new Random(1));
        var e = Assert.Throws<ArgumentException>(() => head.LogProbs(new float[12], new float[8]));
        Assert.Contains("d_model = 8", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => head.LogProbs(new float[16], new float[4]));
        Assert.Contains("2 frames × 4 classes", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new CtcHead(new float[31], new float[4], 8, 4));
        Assert.Equal(3, head.Blank);
    }

    /// <summary>PyTorch's Conv1d default init: U(−1/√D, 1/√D) for weight and bias.</summary>
    internal static CtcHead RandomHead(int dim, int classes, Random random)
    {
        var bound = 1 / Math.Sqrt(dim);
        float Draw() => (float)(((random.NextDouble() * 2) - 1) * bound * 4);
        var weight = Enumerable.Range(0, classes * dim).Select(_ => Draw()).ToArray();
        var bias = Enumerable.Range(0, classes).Select(_ => Draw()).ToArray();
        return new CtcHead(weight, bias, dim, classes);
    }

    private static double[] Reference(CtcHead head, float[] frames, int rows)
    {
        int d = head.EncoderDim, c = head.Classes;
        var w = head.Weight.Span;
        var b = head.Bias.Span;
        var output = new double[rows * c];
        for (var t = 0; t < rows; t++)
        {
            var logits = new double[c];
            for (var k = 0; k < c; k++)
            {
                double sum = b[k];
                for (var i = 0; i < d; i++)
                {
                    sum += (double)w[(k * d) + i] * frames[(t * d) + i];
                }

                logits[k] = sum;
            }

            var max = logits.Max();
            var lse = max + Math.Log(logits.Sum(x => Math.Exp(x - max)));
            for (var k = 0; k < c; k++)
            {
                output[(t * c) + k] = logits[k] - lse;
            }
        }

        return output;
    }
}
