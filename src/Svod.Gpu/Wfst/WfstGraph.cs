namespace Svod.Gpu.Wfst;

/// <summary>
/// A tropical-weight WFST in the CSR layout of Kaldi's CudaFst, ready to copy to a device. State ids are the file's.
/// The arc arrays hold first the emitting arcs (ilabel != 0) of every state, state by state, then the non-emitting
/// ones (ilabel == 0, epsilon input) of every state: state s's emitting arcs are
/// <c>EmittingOffsets[s]..EmittingOffsets[s + 1]</c> and its non-emitting arcs
/// <c>NonEmittingOffsets[s]..NonEmittingOffsets[s + 1]</c> (so <c>NonEmittingOffsets[0] == NumEmittingArcs</c>).
/// Within each group the arcs are in the file's order. Weights and final weights are costs (-log probabilities);
/// a state that is not final has final weight +∞.
/// </summary>
public sealed partial class WfstGraph
{
    private readonly float[] _finals;
    private readonly int[] _emittingOffsets;
    private readonly int[] _nonEmittingOffsets;
    private readonly int[] _ilabels;
    private readonly int[] _olabels;
    private readonly float[] _weights;
    private readonly int[] _nextStates;

    internal WfstGraph(int numStates, int start, float[] finals, int[] emittingOffsets, int[] nonEmittingOffsets,
        int[] ilabels, int[] olabels, float[] weights, int[] nextStates)
    {
        NumStates = numStates;
        Start = start;
        _finals = finals;
        _emittingOffsets = emittingOffsets;
        _nonEmittingOffsets = nonEmittingOffsets;
        _ilabels = ilabels;
        _olabels = olabels;
        _weights = weights;
        _nextStates = nextStates;
    }

    public int NumStates { get; }

    /// <summary>The start state, or -1 for an FST without one (an empty FST).</summary>
    public int Start { get; }

    public int NumArcs => _ilabels.Length;

    public int NumEmittingArcs => _nonEmittingOffsets[0];

    public int NumNonEmittingArcs => _ilabels.Length - _nonEmittingOffsets[0];

    /// <summary>NumStates + 1 entries, indexing the emitting arcs.</summary>
    public ReadOnlySpan<int> EmittingOffsets => _emittingOffsets;

    /// <summary>NumStates + 1 entries, indexing the non-emitting arcs (which follow all emitting arcs).</summary>
    public ReadOnlySpan<int> NonEmittingOffsets => _nonEmittingOffsets;

    public ReadOnlySpan<int> ILabels => _ilabels;

    public ReadOnlySpan<int> OLabels => _olabels;

    /// <summary>Arc costs (tropical weights).</summary>
    public ReadOnlySpan<float> Weights => _weights;

    public ReadOnlySpan<int> NextStates => _nextStates;

    /// <summary>Final cost per state; +∞ where the state is not final.</summary>
    public ReadOnlySpan<float> Finals => _finals;

    /// <summary>Reads an OpenFst binary (vector or const, standard arcs) or text FST, told apart by the magic
    /// number; see <see cref="OpenFstReader"/>.</summary>
    public static WfstGraph Load(string path) => OpenFstReader.Read(path);
}
