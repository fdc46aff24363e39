using Svod.Gpu.Decoding;
using Svod.Gpu.Decoding.Kernels;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;

namespace Svod.Gpu.Cuda;

public sealed partial class CudaDecoderBackend
{
    /// <summary>
    /// Layer 0's input half per previous token, <c>[V, 4H]</c>: <c>(embed[k]·W_ih0ᵀ + b_ih0) + b_hh0</c> in
    /// <see cref="ScalarMath"/>'s arithmetic (as the CPU backend's table). The blank row is the zero input of the
    /// empty prefix; the kernel never reads it (blank feeds no LSTM step).
    /// </summary>
    private static float[] BuildInputTable(RnntModel model)
    {
        var dims = model.Dims;
        int classes = dims.NumClasses, hidden = dims.PredHidden, gateDim = dims.GateDim;
        var layer = model.Weights.Layers[0];
        var embed = model.Weights.Embed;
        var table = new float[(long)classes * gateDim];
        Parallel.For(0, classes, k =>
        {
            var input = k == dims.Blank ? new float[hidden] : embed.AsSpan(k * hidden, hidden).ToArray();
            var row = table.AsSpan(k * gateDim, gateDim);
            ScalarMath.Linear(input, layer.InputWeight, layer.InputBias, row);
            for (var n = 0; n < gateDim; n++)
            {
                row[n] += layer.HiddenBias[n];
            }
        });
        return table;
    }

    /// <summary>GigaAM's first <c>predict(None, None)</c>: h, c <c>[layers, H]</c> and the predictor projection
    /// <c>[J]</c> every channel starts from (the CPU backend's own computation).</summary>
    private static (float[] H, float[] C, float[] Predictor) BuildInitialState(RnntModel model)
    {
        var dims = model.Dims;
        int layers = dims.PredLayers, hidden = dims.PredHidden;
        var h = new float[layers * hidden];
        var c = new float[layers * hidden];
        ReferenceDecoder.Predict(model, null, new float[layers * hidden], new float[layers * hidden], h, c);
        var predictor = new float[dims.JointHidden];
        ScalarMath.Linear(h.AsSpan((layers - 1) * hidden, hidden), model.Weights.PredictorWeight,
            model.Weights.PredictorBias, predictor);
        return (h, c, predictor);
    }

    private static float[] Concat(IEnumerable<float[]> parts) => parts.SelectMany(p => p).ToArray();

    private DeviceBuffer<float> Upload(float[] values)
    {
        var buffer = Own(new DeviceBuffer<float>(values.Length));
        buffer.CopyFrom(values);
        return buffer;
    }

    /// <summary>A weight matrix in the kernel's storage (f32, or f16/bf16 bits); its device address (0 when
    /// empty: W_ih of a one-layer predictor, which the kernel never reads).</summary>
    private ulong UploadMatrix(float[] values, WeightPrecision precision)
    {
        if (precision == WeightPrecision.F32)
        {
            return Upload(values).Pointer;
        }

        var bits = new ushort[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            bits[i] = precision == WeightPrecision.F16
                ? BitConverter.HalfToUInt16Bits((Half)values[i])
                : FloatConversions.SingleToBFloat16(values[i]);
        }

        var buffer = Own(new DeviceBuffer<ushort>(bits.Length));
        buffer.CopyFrom(bits);
        return buffer.Pointer;
    }
}
