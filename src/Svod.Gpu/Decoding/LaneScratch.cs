using Svod.Gpu.Decoding.Kernels;

namespace Svod.Gpu.Decoding;

/// <summary>
/// Scratch of one backend's lanes, allocated once: the frames and their encoder projections for the call, joint
/// inputs and logits, gate pre-activations, row-pointer tables for the GEMMs and per-lane bookkeeping.
/// </summary>
internal sealed unsafe class LaneScratch : IDisposable
{
    private readonly AlignedBuffer _frames;
    private readonly AlignedBuffer _encoderProjection;
    private readonly AlignedBuffer _jointInput;
    private readonly AlignedBuffer _logits;
    private readonly AlignedBuffer _gates;
    private readonly AlignedBuffer _inputGates;
    private readonly AlignedBuffer _zeroInput;
    private readonly AlignedBuffer _discard;
    private readonly AlignedBuffer _zeroAddend;

    public LaneScratch(int lanes, int maxFrames, int encoderDim, int jointPad, int classPad, int gatePad,
        int hidden, int maxK, int maxN, int classes)
    {
        MaxFrames = maxFrames;
        EncoderDim = encoderDim;
        JointPad = jointPad;
        ClassPad = classPad;
        GatePad = gatePad;
        _frames = new AlignedBuffer((long)lanes * maxFrames * encoderDim);
        _encoderProjection = new AlignedBuffer((long)lanes * maxFrames * jointPad);
        _jointInput = new AlignedBuffer((long)lanes * jointPad);
        _logits = new AlignedBuffer((long)lanes * classPad);
        _gates = new AlignedBuffer((long)lanes * gatePad);
        _inputGates = new AlignedBuffer((long)lanes * gatePad);
        _zeroInput = new AlignedBuffer(maxK);
        _discard = new AlignedBuffer(maxN);
        _zeroAddend = new AlignedBuffer(maxN);
        CellScratch = new float[2 * hidden];
        var rows = Math.Max(lanes * maxFrames, classes);
        X = GC.AllocateArray<nint>(rows, pinned: true);
        Y = GC.AllocateArray<nint>(rows, pinned: true);
        A = GC.AllocateArray<nint>(rows, pinned: true);
        Channel = new int[lanes];
        Frame = new int[lanes];
        FrameEnd = new int[lanes];
        Symbols = new int[lanes];
        FirstFrame = new int[lanes];
        Active = new int[lanes];
        Emitters = new int[lanes];
        EmittedToken = new int[lanes];
    }

    public int MaxFrames { get; }

    public int EncoderDim { get; }

    public int JointPad { get; }

    public int ClassPad { get; }

    public int GatePad { get; }

    public float[] CellScratch { get; }

    /// <summary>Row pointers handed to <see cref="Gemm"/> (pinned).</summary>
    public nint[] X { get; }

    public nint[] Y { get; }

    public nint[] A { get; }

    public int[] Channel { get; }

    /// <summary>Next frame to decode, local to this call.</summary>
    public int[] Frame { get; }

    public int[] FrameEnd { get; }

    /// <summary>Symbols emitted on the current frame (GigaAM's <c>new_symbols</c>).</summary>
    public int[] Symbols { get; }

    /// <summary>Utterance frame index of local frame 0.</summary>
    public int[] FirstFrame { get; }

    public int[] Active { get; }

    public int[] Emitters { get; }

    public int[] EmittedToken { get; }

    public float* FrameRow(int lane, int frame) => _frames.Pointer + ((long)lane * MaxFrames + frame) * EncoderDim;

    public float* EncoderRow(int lane, int frame) =>
        _encoderProjection.Pointer + ((long)lane * MaxFrames + frame) * JointPad;

    public float* JointInputRow(int row) => _jointInput.Pointer + (long)row * JointPad;

    public float* LogitsRow(int row) => _logits.Pointer + (long)row * ClassPad;

    public float* GatesRow(int row) => _gates.Pointer + (long)row * GatePad;

    public float* InputGatesRow(int row) => _inputGates.Pointer + (long)row * GatePad;

    public float* ZeroInput => _zeroInput.Pointer;

    public float* Discard => _discard.Pointer;

    public float* ZeroAddend => _zeroAddend.Pointer;

    public void Dispose()
    {
        _frames.Dispose();
        _encoderProjection.Dispose();
        _jointInput.Dispose();
        _logits.Dispose();
        _gates.Dispose();
        _inputGates.Dispose();
        _zeroInput.Dispose();
        _discard.Dispose();
        _zeroAddend.Dispose();
    }
}
