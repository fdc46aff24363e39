using Svod.Gpu.Decoding.Kernels;
using Svod.Gpu.Models;

namespace Svod.Gpu.Decoding;

/// <summary>
/// GigaAM's <c>RNNTGreedyDecoding._greedy_decode</c> for one utterance, written plainly: the oracle every batched
/// backend is tested against. It re-runs the predictor on every inner step exactly as GigaAM does, with no caching
/// and no batching; it is slow on purpose.
/// </summary>
public sealed class ReferenceDecoder
{
    private readonly RnntModel _model;
    private readonly RnntDims _dims;

    public ReferenceDecoder(RnntModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Weights.Validate(model.Dims, model.Source);
        _model = model;
        _dims = model.Dims;
    }

    /// <param name="frames">row-major <c>[frameCount, d_model]</c>.</param>
    public DecodedUtterance Decode(ReadOnlySpan<float> frames)
    {
        var d = _dims.EncoderDim;
        if (frames.Length % d != 0)
        {
            throw new ArgumentException($"frames hold {frames.Length} floats, not a multiple of d_model {d}", nameof(frames));
        }

        var w = _model.Weights;
        int layers = _dims.PredLayers, hidden = _dims.PredHidden;
        var tokens = new List<int>();
        var tokenFrames = new List<int>();

        // dec_state = None is a zero state; last_label = None is a zero embedding.
        var stateH = new float[layers * hidden];
        var stateC = new float[layers * hidden];
        int? lastLabel = null;

        var newH = new float[layers * hidden];
        var newC = new float[layers * hidden];
        var encoderProjection = new float[_dims.JointHidden];
        var predictorProjection = new float[_dims.JointHidden];
        var z = new float[_dims.JointHidden];
        var logits = new float[_dims.NumClasses];
        var frameCount = frames.Length / d;
        for (var t = 0; t < frameCount; t++)
        {
            ScalarMath.Linear(frames.Slice(t * d, d), w.EncoderWeight, w.EncoderBias, encoderProjection);
            var symbols = 0;
            while (symbols < _model.MaxSymbolsPerStep)
            {
                Predict(_model, lastLabel, stateH, stateC, newH, newC);
                var g = newH.AsSpan((layers - 1) * hidden, hidden);
                ScalarMath.Linear(g, w.PredictorWeight, w.PredictorBias, predictorProjection);
                CellMath.JointInput(encoderProjection, predictorProjection, z);
                ScalarMath.Linear(z, w.OutputWeight, w.OutputBias, logits);
                var k = ScalarMath.ArgMax(logits);
                if (k == _dims.Blank)
                {
                    break;
                }

                tokens.Add(k);
                tokenFrames.Add(t);
                (stateH, newH) = (newH, stateH);
                (stateC, newC) = (newC, stateC);
                lastLabel = k;
                symbols++;
            }
        }

        return new DecodedUtterance([.. tokens], [.. tokenFrames]);
    }

    /// <summary>
    /// <c>RNNTDecoder.predict</c>: one LSTM step from (label, state) into (newH, newC), states <c>[layers, H]</c>.
    /// A null label is GigaAM's empty prefix (zero input); backends start every channel from
    /// <c>Predict(null, zeros)</c>.
    /// </summary>
    internal static void Predict(RnntModel model, int? label, ReadOnlySpan<float> stateH, ReadOnlySpan<float> stateC,
        Span<float> newH, Span<float> newC)
    {
        var dims = model.Dims;
        int hidden = dims.PredHidden, gateDim = dims.GateDim;
        var input = label is { } l
            ? model.Weights.Embed.AsSpan(l * hidden, hidden).ToArray()
            : new float[hidden];
        var inputGates = new float[gateDim];
        var gates = new float[gateDim];
        var scratch = new float[2 * hidden];
        for (var layer = 0; layer < dims.PredLayers; layer++)
        {
            var lw = model.Weights.Layers[layer];
            ScalarMath.Linear(input, lw.InputWeight, lw.InputBias, inputGates);
            for (var n = 0; n < gateDim; n++)
            {
                inputGates[n] += lw.HiddenBias[n];
            }

            var h = stateH.Slice(layer * hidden, hidden);
            for (var n = 0; n < gateDim; n++)
            {
                gates[n] = ScalarMath.Dot(h, lw.HiddenWeight.AsSpan(n * hidden, hidden)) + inputGates[n];
            }

            var outH = newH.Slice(layer * hidden, hidden);
            var outC = newC.Slice(layer * hidden, hidden);
            stateC.Slice(layer * hidden, hidden).CopyTo(outC);
            CellMath.LstmUpdate(gates, outH, outC, scratch);
            input = outH.ToArray();
        }
    }
}
