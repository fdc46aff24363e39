using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Svod.Gpu.Decoding.Kernels;
using Svod.Gpu.Models;

namespace Svod.Gpu.Decoding;

/// <summary>
/// AdvanceDecoding on the CPU with SIMD GEMM kernels. Channel state lives in native arrays indexed by channel
/// (h, c per layer; the cached predictor projection); lanes are scratch rows reused every call. A call projects all
/// its frames through the encoder half of the joint in one GEMM, then runs a label-looping step loop: each pass
/// evaluates the joint for every lane still holding frames (one GEMM), and runs the LSTM and predictor projection
/// only for the lanes that emitted (two GEMMs per layer; the input half of layer 0 is a per-token table).
/// </summary>
public sealed unsafe partial class CpuDecoderBackend : IDecoderBackend
{
    private readonly RnntDims _dims;
    private readonly int _maxSymbols;
    private readonly int _hiddenStride;
    private readonly int _jointPad;
    private readonly int _classPad;
    private readonly int _gatePad;

    private readonly PackedMatrix _encoder;
    private readonly PackedMatrix _predictor;
    private readonly PackedMatrix _output;
    private readonly PackedMatrix[] _hiddenWeights;
    private readonly PackedMatrix?[] _inputWeights;
    private readonly AlignedBuffer _encoderBias;
    private readonly AlignedBuffer _predictorBias;
    private readonly AlignedBuffer _outputBias;
    private readonly AlignedBuffer[] _inputBias;
    private readonly AlignedBuffer[] _hiddenBias;

    /// <summary>Layer 0's input half per previous token: <c>(embed[k]·W_ih + b_ih) + b_hh</c>; the blank row is
    /// the zero input of the empty prefix.</summary>
    private readonly AlignedBuffer _inputTable;

    /// <summary>The state after GigaAM's first <c>predict(None, None)</c>: what every channel starts from.</summary>
    private readonly AlignedBuffer _initialH;
    private readonly AlignedBuffer _initialC;
    private readonly AlignedBuffer _initialPredictor;

    private readonly ChannelTable _channels;
    private readonly LaneScratch _lanes;
    private DecodeCallStats _totals;

    private readonly CallValidator _validator;

    public CpuDecoderBackend(RnntModel model, int channels, int lanes, int maxFramesPerLane = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFramesPerLane, 1);
        model.Weights.Validate(model.Dims, model.Source);
        _dims = model.Dims;
        _maxSymbols = model.MaxSymbolsPerStep;
        NumChannels = channels;
        NumLanes = lanes;
        MaxFramesPerLane = maxFramesPerLane;

        int hidden = _dims.PredHidden, layers = _dims.PredLayers;
        _hiddenStride = (hidden + 15) / 16 * 16;
        _jointPad = PackedMatrix.RoundUp(_dims.JointHidden);
        _classPad = PackedMatrix.RoundUp(_dims.NumClasses);
        _gatePad = PackedMatrix.RoundUp(_dims.GateDim);

        var w = model.Weights;
        _encoder = new PackedMatrix(w.EncoderWeight, _dims.JointHidden, _dims.EncoderDim);
        _predictor = new PackedMatrix(w.PredictorWeight, _dims.JointHidden, hidden);
        _output = new PackedMatrix(w.OutputWeight, _dims.NumClasses, _dims.JointHidden);
        _encoderBias = Padded(w.EncoderBias, _jointPad);
        _predictorBias = Padded(w.PredictorBias, _jointPad);
        _outputBias = Padded(w.OutputBias, _classPad);
        _hiddenWeights = new PackedMatrix[layers];
        _inputWeights = new PackedMatrix?[layers];
        _inputBias = new AlignedBuffer[layers];
        _hiddenBias = new AlignedBuffer[layers];
        for (var l = 0; l < layers; l++)
        {
            _hiddenWeights[l] = new PackedMatrix(w.Layers[l].HiddenWeight, _dims.GateDim, hidden);
            _inputWeights[l] = l == 0 ? null : new PackedMatrix(w.Layers[l].InputWeight, _dims.GateDim, hidden);
            _inputBias[l] = Padded(w.Layers[l].InputBias, _gatePad);
            _hiddenBias[l] = Padded(w.Layers[l].HiddenBias, _gatePad);
        }

        var maxK = Math.Max(_dims.EncoderDim, Math.Max(hidden, _dims.JointHidden));
        var maxN = Math.Max(Math.Max(_jointPad, _classPad), _gatePad);
        _lanes = new LaneScratch(lanes, maxFramesPerLane, _dims.EncoderDim, _jointPad, _classPad, _gatePad,
            hidden, maxK, maxN, _dims.NumClasses);
        _inputTable = BuildInputTable(model);
        (_initialH, _initialC, _initialPredictor) = BuildInitialState(model);
        _channels = new ChannelTable(channels, layers, _hiddenStride, _jointPad);
        _validator = new CallValidator(channels, lanes, maxFramesPerLane * _maxSymbols, _dims.EncoderDim);
        var all = new int[channels];
        for (var i = 0; i < channels; i++)
        {
            all[i] = i;
        }

        InitDecoding(all);
    }

    public string Name => "cpu";

    public RnntDims Dims => _dims;

    public int NumChannels { get; }

    public int NumLanes { get; }

    public int MaxFramesPerLane { get; }

    public DecodeCallStats Totals => _totals;

    public AdvanceResult CreateResult() => new(NumLanes, MaxFramesPerLane * _maxSymbols);

    private GemmPadRows Pad => new(_lanes.ZeroInput, _lanes.Discard, _lanes.ZeroAddend);

    private static AlignedBuffer Padded(ReadOnlySpan<float> values, int length)
    {
        var buffer = new AlignedBuffer(length);
        values.CopyTo(buffer.AsSpan(0, values.Length));
        return buffer;
    }

    private AlignedBuffer BuildInputTable(RnntModel model)
    {
        int classes = _dims.NumClasses, hidden = _dims.PredHidden;
        using var input = new PackedMatrix(model.Weights.Layers[0].InputWeight, _dims.GateDim, hidden);
        var table = new AlignedBuffer((long)classes * _gatePad);
        using var embeddings = new AlignedBuffer((long)classes * hidden);
        model.Weights.Embed.CopyTo(embeddings.AsSpan(0, classes * hidden));
        embeddings.AsSpan((long)_dims.Blank * hidden, hidden).Clear();
        var x = new nint[classes];
        var y = new nint[classes];
        var a = new nint[classes];
        for (var k = 0; k < classes; k++)
        {
            x[k] = (nint)(embeddings.Pointer + (long)k * hidden);
            y[k] = (nint)(table.Pointer + (long)k * _gatePad);
            a[k] = (nint)_inputBias[0].Pointer;
        }

        fixed (nint* px = x, py = y, pa = a)
        {
            Gemm.Multiply(input, (float**)px, (float**)py, (float**)pa, classes, Pad);
        }

        var hiddenBias = _hiddenBias[0].AsSpan(0, _dims.GateDim);
        for (var k = 0; k < classes; k++)
        {
            var row = table.AsSpan((long)k * _gatePad, _dims.GateDim);
            TensorPrimitives.Add(row, hiddenBias, row);
        }

        return table;
    }

    /// <summary>GigaAM's first <c>predict(None, None)</c>: zero input, zero state, the reference's own step.</summary>
    private (AlignedBuffer H, AlignedBuffer C, AlignedBuffer Predictor) BuildInitialState(RnntModel model)
    {
        int layers = _dims.PredLayers, hidden = _dims.PredHidden;
        var stateH = new float[layers * hidden];
        var stateC = new float[layers * hidden];
        ReferenceDecoder.Predict(model, null, new float[layers * hidden], new float[layers * hidden], stateH, stateC);
        var h = new AlignedBuffer((long)layers * _hiddenStride);
        var c = new AlignedBuffer((long)layers * _hiddenStride);
        for (var l = 0; l < layers; l++)
        {
            stateH.AsSpan(l * hidden, hidden).CopyTo(h.AsSpan((long)l * _hiddenStride, hidden));
            stateC.AsSpan(l * hidden, hidden).CopyTo(c.AsSpan((long)l * _hiddenStride, hidden));
        }

        var predictor = new AlignedBuffer(_jointPad);
        ScalarMath.Linear(stateH.AsSpan((layers - 1) * hidden, hidden), model.Weights.PredictorWeight,
            model.Weights.PredictorBias, predictor.AsSpan(0, _dims.JointHidden));
        return (h, c, predictor);
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _predictor.Dispose();
        _output.Dispose();
        foreach (var m in _hiddenWeights)
        {
            m.Dispose();
        }

        foreach (var m in _inputWeights)
        {
            m?.Dispose();
        }

        foreach (var b in _inputBias.Concat(_hiddenBias))
        {
            b.Dispose();
        }

        _encoderBias.Dispose();
        _predictorBias.Dispose();
        _outputBias.Dispose();
        _inputTable.Dispose();
        _initialH.Dispose();
        _initialC.Dispose();
        _initialPredictor.Dispose();
        _channels.Dispose();
        _lanes.Dispose();
    }

    /// <summary>The address of a pinned row-pointer array as the kernels take it.</summary>
    private static float** Rows(nint[] pinned) =>
        (float**)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
}
