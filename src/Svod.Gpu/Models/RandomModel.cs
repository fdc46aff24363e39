using Svod.Gpu.Text;

namespace Svod.Gpu.Models;

/// <summary>
/// Seeded random RNN-T heads with PyTorch's default initialisation (Linear/LSTM: U(−1/√fan_in, 1/√fan_in);
/// Embedding: N(0, 1)) for tests and benchmarks. <c>blankBias</c> is added to the blank logit's bias: raising it
/// lowers the tokens emitted per frame.
/// </summary>
public static class RandomModel
{
    public static RnntModel Create(RnntDims dims, int seed, float blankBias = 0f, int maxSymbolsPerStep = 10,
        ITokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var random = new Random(seed);
        int c = dims.NumClasses, h = dims.PredHidden, j = dims.JointHidden, d = dims.EncoderDim;
        var embed = new float[c * h];
        for (var i = 0; i < embed.Length; i++)
        {
            embed[i] = Normal(random);
        }

        var layers = new LstmLayerWeights[dims.PredLayers];
        for (var l = 0; l < layers.Length; l++)
        {
            layers[l] = new LstmLayerWeights(
                Uniform(random, 4 * h * h, h), Uniform(random, 4 * h * h, h),
                Uniform(random, 4 * h, h), Uniform(random, 4 * h, h));
        }

        var outputBias = Uniform(random, c, j);
        outputBias[dims.Blank] += blankBias;
        var weights = new RnntWeights
        {
            Embed = embed,
            Layers = layers,
            EncoderWeight = Uniform(random, j * d, d),
            EncoderBias = Uniform(random, j, d),
            PredictorWeight = Uniform(random, j * h, h),
            PredictorBias = Uniform(random, j, h),
            OutputWeight = Uniform(random, c * j, j),
            OutputBias = outputBias,
        };
        return new RnntModel
        {
            Dims = dims,
            Weights = weights,
            Tokenizer = tokenizer ?? SymbolTokenizer(c - 1),
            MaxSymbolsPerStep = maxSymbolsPerStep,
            Source = $"random model (seed {seed})",
        };
    }

    /// <summary>
    /// A random model whose blank bias is tuned (bisection) so greedy decoding of <paramref name="sample"/> emits
    /// about <paramref name="tokensPerFrame"/> tokens per frame, the load of real speech.
    /// </summary>
    public static (RnntModel Model, double TokensPerFrame) CreateWithTokensPerFrame(
        RnntDims dims, int seed, double tokensPerFrame, IReadOnlyList<float[]> sample, int maxSymbolsPerStep = 10)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var model = Create(dims, seed, 0f, maxSymbolsPerStep);
        var baseBias = model.Weights.OutputBias[dims.Blank];
        double low = -30, high = 30, achieved = 0;
        for (var i = 0; i < 24; i++)
        {
            var mid = (low + high) / 2;
            model.Weights.OutputBias[dims.Blank] = baseBias + (float)mid;
            achieved = TokensPerFrame(model, sample);
            if (Math.Abs(achieved - tokensPerFrame) < 0.01)
            {
                break;
            }

            if (achieved > tokensPerFrame)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        return (model, achieved);
    }

    private static double TokensPerFrame(RnntModel model, IReadOnlyList<float[]> sample)
    {
        using var backend = new Decoding.CpuDecoderBackend(model, sample.Count, sample.Count);
        var (results, stats) = Decoding.OfflineDecoder.Decode([backend], [.. sample.Select(s => (ReadOnlyMemory<float>)s)]);
        return (double)results.Sum(r => r.Tokens.Length) / Math.Max(1, stats.Frames);
    }

    /// <summary>Random frames ~ N(0, 1), row-major <c>[count, dims.EncoderDim]</c>.</summary>
    public static float[] Frames(RnntDims dims, int count, Random random)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(random);
        var frames = new float[count * dims.EncoderDim];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = Normal(random);
        }

        return frames;
    }

    /// <summary>A character vocabulary of <paramref name="count"/> distinct printable symbols.</summary>
    public static CharTokenizer SymbolTokenizer(int count)
    {
        var symbols = new string[count];
        for (var i = 0; i < count; i++)
        {
            // Latin letters first, then CJK ideographs: distinct, printable, one char each.
            symbols[i] = i < 26 ? ((char)('a' + i)).ToString() : ((char)(0x4E00 + i)).ToString();
        }

        return new CharTokenizer(symbols);
    }

    private static float[] Uniform(Random random, int count, int fanIn)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * bound);
        }

        return values;
    }

    private static float Normal(Random random)
    {
        // Box–Muller; 1 - U keeps the logarithm finite.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
