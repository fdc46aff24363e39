namespace Svod.Gpu.Wfst;

public sealed partial class WfstDecoder
{
    // Kaldi CudaDecoder's constants: the beam recovers by this factor per frame after being cut; the aux queue's
    // first quarter keeps the beam, then each eighth of the rest halves it.
    private const float BeamRecoverRate = 1.2f;
    private const int AdaptiveBeamStaticSegment = 4;
    private const int AdaptiveBeamBins = 8;

    // The source of the start token in the aux queue (>= 0: a node of the previous frame; other negatives: ~slot).
    private const int NoPrev = int.MinValue;

    // One frame's pruning state, shared by the search steps below.
    private float _beam;
    private float _cutoff;
    private float _minCost;
    private int _beamValidUntil;
    private bool _overflow;
    private bool _maxActiveOn;

    /// <summary>The start state's epsilon closure becomes frame 0 of a fresh channel.</summary>
    private void StartChannel(WfstChannel channel)
    {
        channel.Reset(_options.Beam);
        BeginSearch(_options.Beam);
        _cutoff = _options.Beam;
        AddToken(_graph.Start, prev: NoPrev, arc: -1, cost: 0f, acoustic: 0f);
        CloseOverEpsilons();
        EndFrame(channel, previousOffset: 0d);
    }

    /// <summary>One frame (a row of log-probs, one per class) for a channel: emitting arcs from the last frame's
    /// nodes, the epsilon closure, pruning, and the frame's nodes appended to the history.</summary>
    private void SearchFrame(WfstChannel channel, ReadOnlySpan<float> logProbs)
    {
        channel.FramesDecoded++;
        if (channel.DeadEndFrame >= 0)
        {
            return;
        }

        BeginSearch(MathF.Min(_options.Beam, channel.Beam * BeamRecoverRate));
        var nodes = channel.Nodes;
        var frontier = channel.FrontierStart;
        var offsets = _graph.EmittingOffsets;
        var ilabels = _graph.ILabels;
        var weights = _graph.Weights;
        var next = _graph.NextStates;
        var scale = _options.AcousticScale;

        // Kaldi's cutoff estimate: the best node (cost 0 after normalization) through its cheapest emitting arc.
        var best = frontier;
        for (var n = frontier + 1; n < nodes.Length; n++)
        {
            if (nodes[n].Cost < nodes[best].Cost)
            {
                best = n;
            }
        }

        for (var a = offsets[nodes[best].State]; a < offsets[nodes[best].State + 1]; a++)
        {
            _minCost = MathF.Min(_minCost, nodes[best].Cost + weights[a] - scale * logProbs[ilabels[a] - 1]);
        }

        Tighten();

        for (var n = frontier; n < nodes.Length; n++)
        {
            var cost = nodes[n].Cost;
            var state = nodes[n].State;
            for (var a = offsets[state]; a < offsets[state + 1]; a++)
            {
                var acoustic = -scale * logProbs[ilabels[a] - 1];
                var total = cost + weights[a] + acoustic;
                if (total < _cutoff)
                {
                    AddToken(next[a], n, a, total, acoustic);
                }
            }
        }

        ApplyMaxActive();
        CloseOverEpsilons();
        EndFrame(channel, channel.FrameOffset(channel.FrameCount - 1));
    }

    private void BeginSearch(float beam)
    {
        _scratch.BeginFrame();
        _beam = beam;
        _cutoff = float.PositiveInfinity;
        _minCost = float.PositiveInfinity;
        _beamValidUntil = _scratch.AuxCapacity / AdaptiveBeamStaticSegment;
        _overflow = false;
        _maxActiveOn = false;
    }

    /// <summary>Adds a token to the aux queue; returns its index, or -1 when the queue is full (an overflow).</summary>
    private int AddToken(int state, int prev, int arc, float cost, float acoustic)
    {
        var s = _scratch;
        if (s.TokenCount == s.AuxCapacity)
        {
            _overflow = true;
            return -1;
        }

        var slot = s.FindSlot(state);
        if (slot < 0)
        {
            slot = s.NewSlot(state);
        }

        var t = s.TokenCount++;
        s.TokenSlot[t] = slot;
        s.TokenPrev[t] = prev;
        s.TokenArc[t] = arc;
        s.TokenCost[t] = cost;
        s.TokenAcoustic[t] = acoustic;
        s.TokenNextSibling[t] = -1;
        if (cost < s.SlotBest[slot])
        {
            s.SlotBest[slot] = cost;
            if (!s.SlotQueued[slot] && _hasEpsilons[state])
            {
                s.Enqueue(slot);
            }
        }

        if (cost < _minCost)
        {
            _minCost = cost;
            Tighten();
        }

        // The adaptive beam: a filling queue halves the beam for every bin past the static segment.
        if (s.TokenCount >= _beamValidUntil)
        {
            var binWidth = Math.Max(1, (s.AuxCapacity - s.AuxCapacity / AdaptiveBeamStaticSegment) / AdaptiveBeamBins);
            while (s.TokenCount >= _beamValidUntil)
            {
                _beam /= 2;
                _beamValidUntil += binWidth;
            }

            Tighten();
        }

        return t;
    }

    /// <summary>Expands the epsilon arcs of every slot whose best cost improved since its last expansion, until
    /// none did. A slot expanded again kills the tokens its earlier expansion made, so each epsilon arc leaves a
    /// slot once in the lattice.</summary>
    private void CloseOverEpsilons()
    {
        var s = _scratch;
        var offsets = _graph.NonEmittingOffsets;
        var weights = _graph.Weights;
        var next = _graph.NextStates;
        while (s.QueueCount > 0)
        {
            var slot = s.Dequeue();
            var cost = s.SlotBest[slot];
            if (!(cost < _cutoff) || !(cost < s.SlotExpanded[slot]))
            {
                continue;
            }

            for (var t = s.SlotFirstChild[slot]; t >= 0; t = s.TokenNextSibling[t])
            {
                s.TokenCost[t] = float.PositiveInfinity;
            }

            s.SlotFirstChild[slot] = -1;
            s.SlotExpanded[slot] = cost;
            var state = s.SlotState[slot];
            for (var a = offsets[state]; a < offsets[state + 1]; a++)
            {
                var total = cost + weights[a];
                if (total < _cutoff)
                {
                    var t = AddToken(next[a], ~slot, a, total, 0f);
                    if (t >= 0)
                    {
                        s.TokenNextSibling[t] = s.SlotFirstChild[slot];
                        s.SlotFirstChild[slot] = t;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Max-active as Kaldi's ApplyMaxActiveAndReduceBeam: when more than max-active live tokens are in the queue,
    /// a histogram of their costs over [min, min + beam) in 255 bins finds the bin where the count passes
    /// max-active, and the beam is cut at that bin's lower edge. Soft: whole bins are kept or cut. Once on for a
    /// frame it stays on for the frame's later checks.
    /// </summary>
    private void ApplyMaxActive()
    {
        if (!_maxActiveOn && CountLive() <= _options.MaxActive)
        {
            return;
        }

        _maxActiveOn = true;
        _beam = MathF.Min(_beam, HistogramCut(_options.MaxActive));
        Tighten();
    }

    /// <summary>Lowers the cutoff to min + beam, never to the min itself or below: however small the beam has
    /// become (halved, cut), the best token survives.</summary>
    private void Tighten() =>
        _cutoff = MathF.Min(_cutoff, MathF.Max(_minCost + _beam, MathF.BitIncrement(_minCost)));

    private int CountLive()
    {
        var s = _scratch;
        var live = 0;
        for (var t = 0; t < s.TokenCount; t++)
        {
            if (s.TokenCost[t] < _cutoff)
            {
                live++;
            }
        }

        return live;
    }

    /// <summary>The beam (relative to the frame's min cost) that keeps about <paramref name="keep"/> live tokens:
    /// the lower edge of the first histogram bin where the running count reaches it.</summary>
    private float HistogramCut(int keep)
    {
        var s = _scratch;
        var histogram = s.Histogram;
        Array.Clear(histogram);
        var binWidth = _beam / WfstLaneScratch.HistogramBins;
        for (var t = 0; t < s.TokenCount; t++)
        {
            var cost = s.TokenCost[t];
            if (!(cost < _cutoff))
            {
                continue;
            }

            var extra = cost - _minCost;
            var bin = extra <= 0 ? 0 : Math.Min(WfstLaneScratch.HistogramBins, (int)(extra / binWidth) + 1);
            histogram[bin]++;
        }

        // Bin 0 holds the tokens at the min cost, bin b >= 1 those at [b - 1, b) bin widths above it; a cut at
        // b bin widths keeps bins 0..b. Ties at the min alone reaching the count cannot be told apart by cost:
        // then the beam stays (the main queue's capacity bounds them).
        var sum = 0;
        for (var bin = 0; bin < histogram.Length; bin++)
        {
            if (sum + histogram[bin] >= keep)
            {
                return bin == 0 ? _beam : binWidth * bin;
            }

            sum += histogram[bin];
        }

        return _beam;
    }
}
