namespace Svod.Gpu.Wfst;

/// <summary>
/// What one frame's search needs and no channel keeps (Kaldi's lane data): the aux queue of tokens the frame
/// creates, one slot per graph state reached (best cost, the cost its epsilon arcs were expanded at, the tokens that
/// expansion made), the queue of slots whose epsilon arcs await expansion, and the cost histogram of max-active.
/// Allocated once per decoder and reused by every channel and frame; the state → slot map is cleared by bumping a
/// generation number, not by touching its NumStates entries.
/// </summary>
internal sealed class WfstLaneScratch
{
    public const int HistogramBins = 255;

    public WfstLaneScratch(int numStates, int auxCapacity)
    {
        StateGeneration = new int[numStates];
        StateSlot = new int[numStates];
        AuxCapacity = auxCapacity;
        TokenSlot = new int[auxCapacity];
        TokenPrev = new int[auxCapacity];
        TokenArc = new int[auxCapacity];
        TokenCost = new float[auxCapacity];
        TokenAcoustic = new float[auxCapacity];
        TokenNextSibling = new int[auxCapacity];
        SlotState = new int[auxCapacity];
        SlotBest = new float[auxCapacity];
        SlotExpanded = new float[auxCapacity];
        SlotFirstChild = new int[auxCapacity];
        SlotQueued = new bool[auxCapacity];
        SlotNode = new int[auxCapacity];
        SlotTokenCount = new int[auxCapacity + 1];
        Queue = new int[auxCapacity];
        Order = new int[auxCapacity];
    }

    public int AuxCapacity { get; }

    // State → slot for this frame: valid where StateGeneration[s] == Generation.
    public int[] StateGeneration { get; }
    public int[] StateSlot { get; }
    public int Generation { get; set; }

    // The aux queue. TokenPrev >= 0 is a node of the previous frame (emitting arc) or of the initial closure's
    // start; < 0 is ~slot, a state of this frame (epsilon arc). A dead token (its source was re-expanded at a
    // better cost) has cost +inf.
    public int[] TokenSlot { get; }
    public int[] TokenPrev { get; }
    public int[] TokenArc { get; }
    public float[] TokenCost { get; }
    public float[] TokenAcoustic { get; }
    public int[] TokenNextSibling { get; }
    public int TokenCount { get; set; }

    public int[] SlotState { get; }
    public float[] SlotBest { get; }
    public float[] SlotExpanded { get; }
    public int[] SlotFirstChild { get; }
    public bool[] SlotQueued { get; }
    public int[] SlotNode { get; }

    /// <summary>Per slot, surviving tokens; then prefix sums for grouping tokens by slot.</summary>
    public int[] SlotTokenCount { get; }
    public int SlotCount { get; set; }

    // Circular queue of slots awaiting epsilon expansion (a slot is in it at most once).
    public int[] Queue { get; }
    public int QueueHead { get; set; }
    public int QueueCount { get; set; }

    /// <summary>Surviving tokens grouped by slot, best of each slot first.</summary>
    public int[] Order { get; }

    public int[] Histogram { get; } = new int[HistogramBins + 1];

    public void BeginFrame()
    {
        TokenCount = 0;
        SlotCount = 0;
        QueueHead = 0;
        QueueCount = 0;
        if (++Generation == int.MaxValue)
        {
            Array.Clear(StateGeneration);
            Generation = 1;
        }
    }

    /// <summary>This frame's slot for the state, or -1.</summary>
    public int FindSlot(int state) => StateGeneration[state] == Generation ? StateSlot[state] : -1;

    public int NewSlot(int state)
    {
        var slot = SlotCount++;
        StateGeneration[state] = Generation;
        StateSlot[state] = slot;
        SlotState[slot] = state;
        SlotBest[slot] = float.PositiveInfinity;
        SlotExpanded[slot] = float.PositiveInfinity;
        SlotFirstChild[slot] = -1;
        SlotQueued[slot] = false;
        return slot;
    }

    public void Enqueue(int slot)
    {
        SlotQueued[slot] = true;
        Queue[(QueueHead + QueueCount++) % Queue.Length] = slot;
    }

    public int Dequeue()
    {
        var slot = Queue[QueueHead];
        QueueHead = (QueueHead + 1) % Queue.Length;
        QueueCount--;
        SlotQueued[slot] = false;
        return slot;
    }

    /// <summary>Bytes this scratch holds (2 maps of NumStates ints plus 57 bytes per aux queue entry).</summary>
    public long Bytes => 8L * StateGeneration.Length + 57L * AuxCapacity + 4L * (HistogramBins + 1);
}
