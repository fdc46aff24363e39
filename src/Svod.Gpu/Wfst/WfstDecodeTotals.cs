namespace Svod.Gpu.Wfst;

/// <summary>What a <see cref="WfstDecoder"/> has done since it was made: frames searched, tokens created in the
/// aux queues, nodes (states) and tokens kept after pruning, frames where the queue overflowed or max-active cut
/// the beam, channels that hit a dead end.</summary>
public struct WfstDecodeTotals
{
    public long Frames;
    public long TokensCreated;
    public long NodesKept;
    public long TokensKept;
    public long Overflows;
    public long MaxActiveCuts;
    public long DeadEnds;

    /// <summary>Active states per frame after pruning, on average.</summary>
    public readonly double NodesPerFrame => Frames == 0 ? 0 : (double)NodesKept / Frames;

    /// <summary>Tokens (lattice arcs) kept per frame, on average.</summary>
    public readonly double TokensPerFrame => Frames == 0 ? 0 : (double)TokensKept / Frames;
}
