using Svod.Gpu.Models;
using Svod.Gpu.Text;

namespace Svod.Gpu.Demo;

/// <summary>
/// A hand-constructed (not trained, not random) character RNN-T head that transcribes the frames of
/// <see cref="SyntheticEncoder"/> back into their text, so the whole stack can be shown and tested end to end without
/// a real acoustic model. It is synthetic: it knows nothing of speech.
/// </summary>
/// <remarks>
/// <para>Frames (d_model = 2V): character i of the text (0-based) is one-hot at column <c>2·token + (i mod 2)</c>;
/// silence is all zero.</para>
/// <para>Predictor: one LSTM unit that ignores the token (embedding and input weights are 0). The forget gate is
/// closed and the input and output gates open, so <c>c = tanh(g)</c> and <c>h = tanh(c)·1</c>; with
/// <c>g = PredictorFlip·h + PredictorStart</c> the first step (zero state) gives <c>h = +tanh(1)</c> and every later
/// step flips its sign. The sign of h is therefore the parity of the number of tokens emitted so far.</para>
/// <para>Joint (joint_hidden = 2V): unit <c>(token, parity p)</c> reads frame column <c>2·token + p</c> times
/// <see cref="EncoderGain"/>; the predictor adds 0 when its parity is p and <c>−2·ParityGain</c> when not, which
/// the ReLU cuts to 0. A token's logit is the sum of its two units; blank's is a constant
/// <c>EncoderGain / 2</c>. So a character frame whose parity matches the tokens emitted so far scores
/// <see cref="EncoderGain"/> for its character and emits it; the next joint on that frame sees the flipped parity
/// and gives blank; silence gives blank. Repeated letters work because neighbouring characters differ in parity.</para>
/// </remarks>
public static class DemoModel
{
    public const string Name = "demo";

    public const string Source = "svod demo model (synthetic)";

    /// <summary>α: the joint's encoder gain; a character's logit on its own frame.</summary>
    public const float EncoderGain = 10f;

    /// <summary>β: the predictor's projection is ≈ ±β, so a unit of the wrong parity gets −2β (cut by ReLU).</summary>
    public const float ParityGain = 10f;

    /// <summary>Pre-activation bias that holds a gate open (+) or closed (−): σ(20) rounds to 1 in f32.</summary>
    private const float GateBias = 20f;

    /// <summary>The cell candidate's (g) bias: the zero-state first step gives c = tanh(10) = 1 in f32.</summary>
    private const float PredictorStart = 10f;

    /// <summary>The cell candidate's recurrent weight: tanh(−30·h + 10) = −sign(h) for |h| = tanh(1).</summary>
    private const float PredictorFlip = -30f;

    private static readonly string[] Tokens =
    [
        " ", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u",
        "v", "w", "x", "y", "z", "'", ".", ",", "?", "!",
    ];

    /// <summary>The 32 tokens; blank is id 32.</summary>
    public static IReadOnlyList<string> Vocabulary { get; } = Array.AsReadOnly(Tokens);

    /// <summary>Sizes of the demo head: d_model = joint_hidden = 2V, one LSTM layer of one unit, V + 1 classes.
    /// </summary>
    public static RnntDims Dims { get; } = new(
        EncoderDim: 2 * Tokens.Length, PredHidden: 1, PredLayers: 1, JointHidden: 2 * Tokens.Length,
        NumClasses: Tokens.Length + 1);

    public static RnntModel Create(int maxSymbolsPerStep = RnntModel.DefaultMaxSymbolsPerStep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSymbolsPerStep, 1);
        var dims = Dims;
        int d = dims.EncoderDim, j = dims.JointHidden, classes = dims.NumClasses;

        // Gate rows i, f, g, o (PyTorch order), one unit each.
        var layer = new LstmLayerWeights(
            InputWeight: new float[4],
            HiddenWeight: [0f, 0f, PredictorFlip, 0f],
            InputBias: [GateBias, -GateBias, PredictorStart, GateBias],
            HiddenBias: new float[4]);

        var encoderWeight = new float[j * d];
        for (var u = 0; u < j; u++)
        {
            encoderWeight[u * d + u] = EncoderGain;
        }

        // |h| is tanh(1) after every predictor step, so dividing by it makes the projection ±β.
        var parityWeight = (float)(ParityGain / Math.Tanh(1.0));
        var predictorWeight = new float[j];
        var predictorBias = new float[j];
        for (var u = 0; u < j; u++)
        {
            predictorWeight[u] = u % 2 == 0 ? parityWeight : -parityWeight;
            predictorBias[u] = -ParityGain;
        }

        var outputWeight = new float[classes * j];
        for (var token = 0; token < Tokens.Length; token++)
        {
            outputWeight[token * j + 2 * token] = 1f;
            outputWeight[token * j + 2 * token + 1] = 1f;
        }

        var outputBias = new float[classes];
        outputBias[dims.Blank] = EncoderGain / 2;

        return new RnntModel
        {
            Dims = dims,
            Weights = new RnntWeights
            {
                Embed = new float[classes],
                Layers = [layer],
                EncoderWeight = encoderWeight,
                EncoderBias = new float[j],
                PredictorWeight = predictorWeight,
                PredictorBias = predictorBias,
                OutputWeight = outputWeight,
                OutputBias = outputBias,
            },
            Tokenizer = new CharTokenizer(Tokens),
            MaxSymbolsPerStep = maxSymbolsPerStep,
            Source = Source,
        };
    }

    /// <summary>
    /// Whether <paramref name="model"/> has the demo head's shape and vocabulary (weights are not compared), so a
    /// demo model saved to a directory and loaded again is recognised.
    /// </summary>
    public static bool IsDemo(RnntModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dims = model.Dims;
        var tokenizer = model.Tokenizer;
        if (dims.EncoderDim != 2 * Tokens.Length || dims.JointHidden != 2 * Tokens.Length || dims.PredHidden != 1 ||
            dims.PredLayers != 1 || dims.NumClasses != Tokens.Length + 1 || tokenizer.Count != Tokens.Length)
        {
            return false;
        }

        for (var id = 0; id < Tokens.Length; id++)
        {
            if (tokenizer.Piece(id) != Tokens[id])
            {
                return false;
            }
        }

        return true;
    }
}
