namespace Svod.Gpu.Wfst;

/// <summary>
/// One utterance's decoder state between calls (a Kaldi CudaDecoder channel): counters, and the search history as
/// a state-level lattice. Frame f holds the nodes that survived pruning after f frames (frame 0: the start state's
/// epsilon closure); a node is one graph state in one frame, and its tokens are the arcs that reached it (from a
/// node of frame f − 1 for an emitting arc, of frame f for an epsilon arc). The last frame's nodes are the
/// post-prune token queue the next frame expands. Arrays grow by doubling and are kept by <see cref="Reset"/>,
/// so a reused channel stops allocating once it has seen its longest utterance.
/// </summary>
internal sealed partial class WfstChannel
{
    /// <summary>A node: graph state, Viterbi cost relative to its frame's offset, and its first token (the best;
    /// the others follow it, up to the next node's first token).</summary>
    public struct Node
    {
        public int State;
        public float Cost;
        public int FirstToken;
    }

    /// <summary>An arc into a node: the node it left, the graph arc (-1 for the start token) and its acoustic cost
    /// (−scale × log-prob; 0 on epsilon arcs). Its weight in the lattice is the graph weight plus that.</summary>
    public struct Token
    {
        public int PrevNode;
        public int Arc;
        public float Acoustic;
    }

    private Node[] _nodes = new Node[64];
    private Token[] _tokens = new Token[64];
    private int[] _frameStart = new int[16];
    private double[] _frameOffset = new double[16];

    /// <summary>Frames consumed, counting those after a dead end.</summary>
    public int FramesDecoded { get; set; }

    /// <summary>Frames kept in the history, the initial closure included (FramesDecoded + 1 unless a dead end).</summary>
    public int FrameCount { get; private set; }

    public int NodeCount { get; private set; }

    public int TokenCount { get; private set; }

    /// <summary>The beam after the last frame; the next starts from min(beam, this × 1.2).</summary>
    public float Beam { get; set; }

    /// <summary>Frames whose queue overflowed (a warning: the frame kept what fitted).</summary>
    public int Overflows { get; set; }

    /// <summary>Frames where max-active cut the beam.</summary>
    public int MaxActiveCuts { get; set; }

    /// <summary>The 0-based frame at which no token survived, or -1; it and later frames are consumed but not
    /// searched (so it equals the frames kept in the history, less the initial closure).</summary>
    public int DeadEndFrame { get; set; } = -1;

    public ReadOnlySpan<Node> Nodes => _nodes.AsSpan(0, NodeCount);

    public ReadOnlySpan<Token> Tokens => _tokens.AsSpan(0, TokenCount);

    /// <summary>First node of frame f; <c>FrameStart(FrameCount)</c> is NodeCount.</summary>
    public int FrameStart(int frame) => frame == FrameCount ? NodeCount : _frameStart[frame];

    /// <summary>What frame f's node costs are relative to (frames are normalized so their best node costs 0).</summary>
    public double FrameOffset(int frame) => _frameOffset[frame];

    /// <summary>The nodes of the last frame: what the next frame expands.</summary>
    public int FrontierStart => FrameStart(FrameCount - 1);

    public void Reset(float beam)
    {
        FramesDecoded = 0;
        FrameCount = 0;
        NodeCount = 0;
        TokenCount = 0;
        Beam = beam;
        Overflows = 0;
        MaxActiveCuts = 0;
        DeadEndFrame = -1;
    }

    /// <summary>Opens a frame whose node costs are relative to <paramref name="offset"/>.</summary>
    public void BeginFrame(double offset)
    {
        if (FrameCount == _frameStart.Length)
        {
            Array.Resize(ref _frameStart, FrameCount * 2);
            Array.Resize(ref _frameOffset, FrameCount * 2);
        }

        _frameStart[FrameCount] = NodeCount;
        _frameOffset[FrameCount] = offset;
        FrameCount++;
    }

    public int AddNode(int state, float cost)
    {
        if (NodeCount == _nodes.Length)
        {
            Array.Resize(ref _nodes, NodeCount * 2);
        }

        _nodes[NodeCount] = new Node { State = state, Cost = cost, FirstToken = TokenCount };
        return NodeCount++;
    }

    public void AddToken(int prevNode, int arc, float acoustic)
    {
        if (TokenCount == _tokens.Length)
        {
            Array.Resize(ref _tokens, TokenCount * 2);
        }

        _tokens[TokenCount++] = new Token { PrevNode = prevNode, Arc = arc, Acoustic = acoustic };
    }

    /// <summary>Tokens of node n: from its first token to the next node's.</summary>
    public int TokenEnd(int node) => node + 1 < NodeCount ? _nodes[node + 1].FirstToken : TokenCount;

    /// <summary>Bytes the history holds (as saved, less the header).</summary>
    public long HistoryBytes => (long)NodeCount * 12 + (long)TokenCount * 12 + (long)FrameCount * 12;
}
