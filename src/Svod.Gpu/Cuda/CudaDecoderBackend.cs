using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Gpu.Cuda;

/// <summary>
/// AdvanceDecoding on an NVIDIA GPU with the CPU backend's contract and results (greedy RNN-T, GigaAM semantics).
/// <para>
/// <b>Channel table on the device.</b> h and c <c>[channels, layers, H]</c> and the cached predictor projection
/// <c>[channels, J]</c> (f32) live in device memory and are read and written in place by the kernel, a lane bound
/// to its channel by index; nothing of them crosses the bus during a call. Hypotheses, frames decoded and the last
/// token stay on the host, so <see cref="GetHypothesis"/> and <see cref="NumFramesDecoded"/> copy nothing; Save and
/// Load copy one channel's rows (<see cref="ChannelStateFormat"/> version 1, the CPU backend's bytes, so a channel
/// moves between backends).
/// </para>
/// <para>
/// <b>One call</b> moves frames in and tokens out, with one stream synchronisation: the call's frames are packed into
/// a pinned buffer <c>[lane bucket, frame bucket, D]</c> and the lanes' (channel, frames) into another; one
/// async copy each; the encoder projection of every lane×frame row is one cuBLAS SGEMM; one launch of
/// <c>rnnt_label_loop</c> (one 256-thread block per lane) runs the lane's whole label-looping step loop — joint,
/// first-index argmax, and on a token the LSTM step (layer 0's input half from a per-token table) and the predictor
/// projection — writing (frame, token) pairs and counts; one async copy brings them back. Lanes with frames are
/// packed first; the lane count is padded to a power of two (capped at <see cref="NumLanes"/>) with idle lanes and
/// the frame count to a power of two (capped at <see cref="MaxFramesPerLane"/>), and each (lane bucket, frame
/// bucket) sequence is captured once as a CUDA graph and replayed (<see cref="CudaBackendOptions.UseGraphs"/>).
/// The first call of a bucket runs its sequence directly, so every kernel is loaded before any capture.
/// </para>
/// <para>
/// <b>Weights</b> go to the device once: the step loop's matrices (W_out, W_pred, W_hh, W_ih of layers ≥ 1) in
/// <see cref="CudaBackendOptions.Precision"/> with f32 sums; the encoder weight, biases, the per-token input table
/// (<c>embed[k]·W_ih0ᵀ + b_ih0 + b_hh0</c>) and the initial state (GigaAM's first <c>predict(None)</c>) in f32, the
/// last two computed on the host with the CPU backend's arithmetic.
/// </para>
/// <para>
/// <b>Exactness.</b> The kernel keeps the reference's expression order (FMA dot products, then the bias; the LSTM
/// cell in <c>CellMath</c>'s order; no contraction), but the GPU's dot products are reduced in a different order
/// (warp shuffles, cuBLAS) and its <c>expf</c>/<c>tanhf</c> differ from .NET's in the last bits, so logits differ
/// from the CPU's by rounding: tokens are equal unless two logits are within that rounding of each other.
/// </para>
/// Stats: the device part of a call (copies, GEMM and step loop, up to the one synchronisation) is reported as
/// <see cref="DecodeCallStats.JointTicks"/>, encoder and predictor ticks stay 0; emissions and joint rows are
/// counted on the device (the CPU backend's numbers), steps are the longest lane's loop. Not thread-safe (one
/// lane-pool thread drives it); every public method makes the context current on the calling thread first.
/// </summary>
public sealed partial class CudaDecoderBackend : IDecoderBackend
{
    private readonly RnntDims _dims;
    private readonly int _maxSymbols;
    private readonly bool _useGraphs;
    private readonly CudaContext _context;

    /// <summary>Everything allocated after the context, disposed in reverse order.</summary>
    private readonly List<IDisposable> _owned = [];

    private readonly CudaStream _stream;
    private readonly CublasHandle _blas;
    private readonly CudaFunction _labelLoop;
    private readonly CudaFunction _initChannels;
    private readonly uint _sharedBytes;

    private readonly DeviceBuffer<float> _encoderWeight;
    private readonly DeviceBuffer<float> _initialH;
    private readonly DeviceBuffer<float> _initialC;
    private readonly DeviceBuffer<float> _initialPredictor;

    /// <summary>The device channel table: h, c <c>[channels, layers, H]</c>, predictor <c>[channels, J]</c>.</summary>
    private readonly DeviceBuffer<float> _tableH;
    private readonly DeviceBuffer<float> _tableC;
    private readonly DeviceBuffer<float> _tablePredictor;

    private readonly int[] _framesDecoded;
    private readonly int[] _lastToken;
    private readonly ChannelHypothesis[] _hypotheses;

    /// <summary>Lane scratch: frames <c>[lanes, T, D]</c>, encoder projections <c>[lanes, T, J]</c>, lanes'
    /// (channel, frames), per lane (count, joint evaluations, packed tokens).</summary>
    private readonly PinnedBuffer<float> _framesHost;
    private readonly DeviceBuffer<float> _framesDevice;
    private readonly DeviceBuffer<float> _encoderDevice;
    private readonly PinnedBuffer<int> _lanesHost;
    private readonly DeviceBuffer<int> _lanesDevice;
    private readonly PinnedBuffer<int> _outputHost;
    private readonly DeviceBuffer<int> _outputDevice;
    private readonly PinnedBuffer<int> _initHost;
    private readonly DeviceBuffer<int> _initDevice;

    /// <summary>Kernel arguments, reused by every launch; slots that vary are set before each.</summary>
    private readonly KernelArg[] _loopArgs;
    private readonly KernelArg[] _initArgs;

    /// <summary>Lane r of a call holds batch entry <c>_laneEntry[r]</c> (entries with frames, in order).</summary>
    private readonly int[] _laneEntry;

    private readonly Dictionary<(int Lanes, int Frames), CudaGraph> _graphs = [];

    private readonly CallValidator _validator;

    /// <summary>Host copies of one channel's rows for <see cref="SaveChannel"/>.</summary>
    private readonly float[] _saveH;
    private readonly float[] _saveC;
    private readonly float[] _savePredictor;

    private DecodeCallStats _totals;
    private bool _disposed;

    /// <exception cref="CudaUnavailableException">no usable CUDA device, driver, NVRTC or cuBLAS here.</exception>
    public CudaDecoderBackend(RnntModel model, int channels, int lanes, int maxFramesPerLane = 64,
        CudaBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFramesPerLane, 1);
        // A token leaves the device as (frame << 16) | token.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFramesPerLane, 65536);
        model.Weights.Validate(model.Dims, model.Source);
        if (model.Dims.NumClasses > 65536)
        {
            throw new ArgumentException(
                $"{model.Source}: num_classes={model.Dims.NumClasses}; the CUDA backend supports at most 65536",
                nameof(model));
        }

        options ??= new CudaBackendOptions();
        if (!CudaRuntime.TryInitialize(out var reason))
        {
            throw new CudaUnavailableException(reason ?? "unknown reason");
        }

        _dims = model.Dims;
        _maxSymbols = model.MaxSymbolsPerStep;
        _useGraphs = options.UseGraphs;
        NumChannels = channels;
        NumLanes = lanes;
        MaxFramesPerLane = maxFramesPerLane;
        int layers = _dims.PredLayers, hidden = _dims.PredHidden, joint = _dims.JointHidden;
        var stateFloats = layers * hidden;

        _framesDecoded = new int[channels];
        _lastToken = new int[channels];
        _hypotheses = new ChannelHypothesis[channels];
        for (var i = 0; i < channels; i++)
        {
            _hypotheses[i] = new ChannelHypothesis();
        }

        _validator = new CallValidator(channels, lanes, maxFramesPerLane * _maxSymbols, _dims.EncoderDim);
        _laneEntry = new int[lanes];
        _saveH = new float[stateFloats];
        _saveC = new float[stateFloats];
        _savePredictor = new float[joint];
        var inputTable = BuildInputTable(model);
        var (initialH, initialC, initialPredictor) = BuildInitialState(model);

        _context = CudaContext.Create(options.Device);
        try
        {
            _stream = Own(new CudaStream());
            _blas = Own(new CublasHandle(_stream));
            // f32 stays f32 (no TF32, whatever NVIDIA_TF32_OVERRIDE says), and cuBLAS's scratch is ours, so nothing
            // is allocated inside a graph capture (32 MiB: NVIDIA's advice for Hopper).
            _blas.SetMathMode(CublasMathMode.Pedantic);
            _blas.SetWorkspace(Own(new DeviceBuffer<byte>(32L << 20)));
            var module = Own(CudaKernels.Compile(_context, options.Precision, options.KernelCacheDirectory));
            _labelLoop = module.GetFunction(CudaKernels.LabelLoop);
            _initChannels = module.GetFunction(CudaKernels.InitChannels);
            _sharedBytes = SharedBytes(_dims);
            if (_sharedBytes > _context.MaxSharedMemoryPerBlockOptin)
            {
                throw new NotSupportedException(
                    $"{model.Source}: the step loop needs {_sharedBytes} bytes of shared memory per block; " +
                    $"{_context.Name} allows {_context.MaxSharedMemoryPerBlockOptin}");
            }

            if (_sharedBytes > 48 * 1024)
            {
                _labelLoop.SetMaxDynamicSharedMemory((int)_sharedBytes);
            }

            var w = model.Weights;
            _encoderWeight = Upload(w.EncoderWeight);
            var outputWeight = UploadMatrix(w.OutputWeight, options.Precision);
            var predictorWeight = UploadMatrix(w.PredictorWeight, options.Precision);
            var hiddenWeights = UploadMatrix(Concat(w.Layers.Select(l => l.HiddenWeight)), options.Precision);
            var inputWeights = UploadMatrix(Concat(w.Layers.Skip(1).Select(l => l.InputWeight)), options.Precision);
            var inputBias = Upload(Concat(w.Layers.Skip(1).Select(l => l.InputBias)));
            var hiddenBias = Upload(Concat(w.Layers.Skip(1).Select(l => l.HiddenBias)));
            var table = Upload(inputTable);
            _initialH = Upload(initialH);
            _initialC = Upload(initialC);
            _initialPredictor = Upload(initialPredictor);

            _tableH = Own(new DeviceBuffer<float>((long)channels * stateFloats));
            _tableC = Own(new DeviceBuffer<float>((long)channels * stateFloats));
            _tablePredictor = Own(new DeviceBuffer<float>((long)channels * joint));

            var frameRows = (long)lanes * maxFramesPerLane;
            _framesHost = Own(new PinnedBuffer<float>(frameRows * _dims.EncoderDim));
            _framesDevice = Own(new DeviceBuffer<float>(frameRows * _dims.EncoderDim));
            _encoderDevice = Own(new DeviceBuffer<float>(frameRows * joint));
            _lanesHost = Own(new PinnedBuffer<int>(2L * lanes));
            _lanesDevice = Own(new DeviceBuffer<int>(2L * lanes));
            var outputInts = (long)lanes * OutputStride(maxFramesPerLane);
            _outputHost = Own(new PinnedBuffer<int>(outputInts));
            _outputDevice = Own(new DeviceBuffer<int>(outputInts));
            var initBatch = Math.Min(channels, 4096);
            _initHost = Own(new PinnedBuffer<int>(initBatch));
            _initDevice = Own(new DeviceBuffer<int>(initBatch));

            _loopArgs =
            [
                KernelArg.Pointer(_lanesDevice.Pointer),
                KernelArg.Pointer(_encoderDevice.Pointer),
                KernelArg.Int(0), // frame stride: the call's frame bucket
                KernelArg.Pointer(outputWeight),
                KernelArg.Pointer(Upload(w.OutputBias).Pointer),
                KernelArg.Pointer(Upload(w.EncoderBias).Pointer),
                KernelArg.Pointer(predictorWeight),
                KernelArg.Pointer(Upload(w.PredictorBias).Pointer),
                KernelArg.Pointer(hiddenWeights),
                KernelArg.Pointer(inputWeights),
                KernelArg.Pointer(inputBias.Pointer),
                KernelArg.Pointer(hiddenBias.Pointer),
                KernelArg.Pointer(table.Pointer),
                KernelArg.Pointer(_tableH.Pointer),
                KernelArg.Pointer(_tableC.Pointer),
                KernelArg.Pointer(_tablePredictor.Pointer),
                KernelArg.Pointer(_outputDevice.Pointer),
                KernelArg.Int(0), // output stride: 2 + frame bucket × max symbols
                KernelArg.Int(layers),
                KernelArg.Int(hidden),
                KernelArg.Int(joint),
                KernelArg.Int(_dims.NumClasses),
                KernelArg.Int(_maxSymbols),
            ];
            _initArgs =
            [
                KernelArg.Pointer(_initDevice.Pointer),
                KernelArg.Int(0), // count
                KernelArg.Pointer(_initialH.Pointer),
                KernelArg.Pointer(_initialC.Pointer),
                KernelArg.Pointer(_initialPredictor.Pointer),
                KernelArg.Pointer(_tableH.Pointer),
                KernelArg.Pointer(_tableC.Pointer),
                KernelArg.Pointer(_tablePredictor.Pointer),
                KernelArg.Int(stateFloats),
                KernelArg.Int(joint),
            ];

            var all = new int[channels];
            for (var i = 0; i < channels; i++)
            {
                all[i] = i;
            }

            InitDecoding(all);
        }
        catch
        {
            ReleaseDevice();
            throw;
        }
    }

    public string Name => "cuda";

    public RnntDims Dims => _dims;

    public int NumChannels { get; }

    public int NumLanes { get; }

    public int MaxFramesPerLane { get; }

    public DecodeCallStats Totals => _totals;

    /// <summary>Device memory one channel's table rows take (h, c and predictor projection, f32); lane scratch and
    /// weights are per backend, not per channel.</summary>
    public long DeviceBytesPerChannel => (2L * _dims.PredLayers * _dims.PredHidden + _dims.JointHidden) * sizeof(float);

    /// <summary>The device this backend runs on, e.g. "NVIDIA H100 80GB HBM3".</summary>
    public string DeviceName => _context.Name;

    /// <summary>CUDA graphs captured so far, one per (lane bucket, frame bucket) seen.</summary>
    internal int GraphCount => _graphs.Count;

    public AdvanceResult CreateResult() => new(NumLanes, MaxFramesPerLane * _maxSymbols);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _context.MakeCurrent();
        ReleaseDevice();
    }

    private void ReleaseDevice()
    {
        foreach (var graph in _graphs.Values)
        {
            graph.Dispose();
        }

        _graphs.Clear();
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _owned.Clear();
        _context.Dispose();
    }

    /// <summary>Ints per lane in the output: count, joint evaluations, then one per possible token.</summary>
    private int OutputStride(int frameBucket) => 2 + frameBucket * _maxSymbols;

    /// <summary>The step loop's dynamic shared memory, floats: h, c [L·H], pred, z [J], logits [V], gates [4H].
    /// </summary>
    private static uint SharedBytes(RnntDims dims) =>
        (uint)((2L * dims.PredLayers * dims.PredHidden + 2L * dims.JointHidden + dims.NumClasses + dims.GateDim)
               * sizeof(float));

    private T Own<T>(T resource)
        where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }
}
