using System.Text;
using Svod.Gpu.Models;

namespace Svod.Gpu.Demo;

/// <summary>
/// Stands in for an acoustic encoder in front of the <see cref="DemoModel"/>: turns text into the frames that model
/// transcribes back into the text. Synthetic; the frames are not derived from audio.
/// </summary>
/// <remarks>
/// Layout, row-major <c>[T, d_model]</c> float32: one leading silence frame, then for character i its one-hot frame
/// (column <c>2·token + (i mod 2)</c>) followed by <c>silenceFrames</c> zero frames. Character i is therefore on frame
/// <c>1 + i·(1 + silenceFrames)</c> and <c>T = 1 + n·(1 + silenceFrames)</c>.
/// </remarks>
public sealed class SyntheticEncoder
{
    private const string VocabularyDescription = "a–z, space, ' . , ? !";

    private readonly int _frameDim;
    private readonly Dictionary<char, int> _tokenOf;

    /// <exception cref="ArgumentException">the model is not a demo model.</exception>
    public SyntheticEncoder(RnntModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!DemoModel.IsDemo(model))
        {
            throw new ArgumentException($"not a Svod demo model: {model.Source} {Mismatch(model)}", nameof(model));
        }

        _frameDim = model.Dims.EncoderDim;
        _tokenOf = new Dictionary<char, int>(DemoModel.Vocabulary.Count);
        for (var id = 0; id < DemoModel.Vocabulary.Count; id++)
        {
            _tokenOf.Add(DemoModel.Vocabulary[id][0], id);
        }
    }

    /// <summary>The text as the demo model transcribes it: lower-cased (invariant culture).</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToLowerInvariant();
    }

    /// <summary>Frames for <paramref name="text"/> (layout in the remarks of <see cref="SyntheticEncoder"/>).</summary>
    /// <param name="silenceFrames">zero frames after each character; 0 puts characters on consecutive frames.</param>
    /// <param name="noise">standard deviation of Gaussian noise added to every value; 0 for none. A decision flips
    /// only where one value's noise passes ±0.5 (half the one-hot), i.e. 5 standard deviations at 0.1: the
    /// transcript survives 0.1 on ordinary texts, and 0.05 (10 σ) on any length.</param>
    /// <param name="seed">seed of the noise: the same arguments give the same frames.</param>
    /// <exception cref="ArgumentException">a character of the text is outside the demo vocabulary.</exception>
    public float[] Encode(string text, int silenceFrames = 1, float noise = 0f, int seed = 0)
    {
        var normalized = Normalize(text);
        ArgumentOutOfRangeException.ThrowIfNegative(silenceFrames);
        if (!(noise >= 0f) || float.IsPositiveInfinity(noise))
        {
            throw new ArgumentOutOfRangeException(nameof(noise), noise, "noise is a finite standard deviation >= 0");
        }

        var stride = 1 + silenceFrames;
        var frameCount = checked(1 + normalized.Length * stride);
        var frames = new float[checked(frameCount * _frameDim)];
        for (var i = 0; i < normalized.Length; i++)
        {
            if (!_tokenOf.TryGetValue(normalized[i], out var token))
            {
                throw new ArgumentException(
                    $"character '{CharacterAt(text, i)}' at position {i} is not in the demo vocabulary " +
                    $"({VocabularyDescription})", nameof(text));
            }

            var frame = 1 + i * stride;
            frames[frame * _frameDim + 2 * token + (i & 1)] = 1f;
        }

        if (noise > 0f)
        {
            var random = new Random(seed);
            for (var k = 0; k < frames.Length; k++)
            {
                frames[k] += noise * Normal(random);
            }
        }

        return frames;
    }

    private static string Mismatch(RnntModel model)
    {
        var dims = model.Dims;
        var demo = DemoModel.Dims;
        if (dims == demo && model.Tokenizer.Count == DemoModel.Vocabulary.Count)
        {
            return $"has the demo model's sizes but not its vocabulary ({VocabularyDescription})";
        }

        return $"has d_model {dims.EncoderDim}, pred_hidden {dims.PredHidden}, {dims.PredLayers} LSTM layer(s), " +
            $"joint_hidden {dims.JointHidden} and {model.Tokenizer.Count} tokens; the demo model has d_model " +
            $"{demo.EncoderDim}, pred_hidden 1, 1 layer, joint_hidden {demo.JointHidden} and " +
            $"{DemoModel.Vocabulary.Count} tokens";
    }

    /// <summary>The character at a position, whole when it is a surrogate pair, so the message shows it.</summary>
    private static string CharacterAt(string text, int index) =>
        Rune.TryGetRuneAt(text, index, out var rune) ? rune.ToString() : text[index].ToString();

    private static float Normal(Random random)
    {
        // Box–Muller; 1 - U keeps the logarithm finite.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
