namespace Svod.Gpu.Wfst;

/// <summary>
/// Builds a <see cref="WfstGraph"/> in two passes over the arcs, with arrays only: first every arc is counted
/// (per state, emitting or not), then the offsets are prefix sums and every arc is written straight to its slot.
/// The arcs of a state must be added in the order the file lists them; that order is kept within each group.
/// O(states + arcs) time, and no memory beyond the graph's own arrays and two cursors per state.
/// </summary>
internal sealed class WfstGraphBuilder
{
    private readonly int _numStates;
    private readonly int _start;
    private readonly float[] _finals;
    private readonly int[] _emittingOffsets;
    private readonly int[] _nonEmittingOffsets;
    private readonly string _source;
    private long _emittingCount;
    private long _nonEmittingCount;
    private int[]? _emittingCursor;
    private int[]? _nonEmittingCursor;
    private int[] _ilabels = [];
    private int[] _olabels = [];
    private float[] _weights = [];
    private int[] _nextStates = [];

    public WfstGraphBuilder(int numStates, int start, string source)
    {
        _numStates = numStates;
        _start = start;
        _source = source;
        _finals = new float[numStates];
        _finals.AsSpan().Fill(float.PositiveInfinity);
        _emittingOffsets = new int[numStates + 1];
        _nonEmittingOffsets = new int[numStates + 1];
    }

    public void SetFinal(int state, float weight) => _finals[state] = weight;

    /// <summary>First pass: one call per arc.</summary>
    public void Count(int state, int ilabel)
    {
        if (ilabel != 0)
        {
            _emittingOffsets[state + 1]++;
            _emittingCount++;
        }
        else
        {
            _nonEmittingOffsets[state + 1]++;
            _nonEmittingCount++;
        }
    }

    /// <summary>Between the passes: offsets from the counts, and the arc arrays. Emitting arcs of all states come
    /// first, then the non-emitting ones (Kaldi's CudaFst layout).</summary>
    public void Allocate()
    {
        var total = _emittingCount + _nonEmittingCount;
        if (total > Array.MaxLength)
        {
            throw new FstFormatException($"{_source}: {total} arcs are too many to load (at most {Array.MaxLength})");
        }

        var emitting = (int)_emittingCount;
        _emittingOffsets[0] = 0;
        _nonEmittingOffsets[0] = emitting;
        for (var s = 0; s < _numStates; s++)
        {
            _emittingOffsets[s + 1] += _emittingOffsets[s];
            _nonEmittingOffsets[s + 1] += _nonEmittingOffsets[s];
        }

        _emittingCursor = _emittingOffsets[.._numStates];
        _nonEmittingCursor = _nonEmittingOffsets[.._numStates];
        _ilabels = new int[total];
        _olabels = new int[total];
        _weights = new float[total];
        _nextStates = new int[total];
    }

    /// <summary>Second pass: the same arcs as <see cref="Count"/> saw, in the same order per state.</summary>
    public void Add(int state, int ilabel, int olabel, float weight, int nextState)
    {
        var slot = ilabel != 0 ? _emittingCursor![state]++ : _nonEmittingCursor![state]++;
        _ilabels[slot] = ilabel;
        _olabels[slot] = olabel;
        _weights[slot] = weight;
        _nextStates[slot] = nextState;
    }

    public WfstGraph Build()
    {
        for (var s = 0; s < _numStates; s++)
        {
            if (_emittingCursor![s] != _emittingOffsets[s + 1] || _nonEmittingCursor![s] != _nonEmittingOffsets[s + 1])
            {
                throw new InvalidOperationException(
                    $"{_source}: state {s} was given a different number of arcs in the second pass");
            }
        }

        return new WfstGraph(_numStates, _start, _finals, _emittingOffsets, _nonEmittingOffsets,
            _ilabels, _olabels, _weights, _nextStates);
    }
}
