namespace Svod.Gpu.Wfst;

/// <summary>The arcs of a text FST in file order, as parallel growing arrays (no object per arc), until the
/// state count is known and they can go to a <see cref="WfstGraphBuilder"/>.</summary>
internal sealed class TextArcs
{
    private int[] _sources = new int[64];
    private int[] _nextStates = new int[64];
    private int[] _ilabels = new int[64];
    private int[] _olabels = new int[64];
    private float[] _weights = new float[64];

    public int Count { get; private set; }

    public void Add(int source, int nextState, int ilabel, int olabel, float weight)
    {
        if (Count == _sources.Length)
        {
            var size = (int)Math.Min(2L * Count, Array.MaxLength);
            Array.Resize(ref _sources, size);
            Array.Resize(ref _nextStates, size);
            Array.Resize(ref _ilabels, size);
            Array.Resize(ref _olabels, size);
            Array.Resize(ref _weights, size);
        }

        _sources[Count] = source;
        _nextStates[Count] = nextState;
        _ilabels[Count] = ilabel;
        _olabels[Count] = olabel;
        _weights[Count] = weight;
        Count++;
    }

    public void CopyTo(WfstGraphBuilder builder)
    {
        for (var i = 0; i < Count; i++)
        {
            builder.Count(_sources[i], _ilabels[i]);
        }

        builder.Allocate();
        for (var i = 0; i < Count; i++)
        {
            builder.Add(_sources[i], _ilabels[i], _olabels[i], _weights[i], _nextStates[i]);
        }
    }
}
