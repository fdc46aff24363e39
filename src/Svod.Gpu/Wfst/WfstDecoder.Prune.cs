namespace Svod.Gpu.Wfst;

public sealed partial class WfstDecoder
{
    /// <summary>
    /// Ends a frame: max-active once more (the closure may have grown the queue), the main queue's capacity, then
    /// every token under the cutoff is kept, grouped by state into the frame's nodes (recombination: one node per
    /// state, its best token first, the others kept as the lattice's alternatives). Costs are normalized so the
    /// frame's best node costs 0, its offset recorded. A frame where nothing survives is a dead end.
    /// </summary>
    private void EndFrame(WfstChannel channel, double previousOffset)
    {
        var s = _scratch;
        ApplyMaxActive();
        FitMainQueue();

        // Drop epsilon tokens whose source state did not survive (possible only with negative epsilon weights), until
        // none is left: each pass can only empty more slots.
        while (CountSurvivors() && KillOrphans())
        {
        }

        var frameMin = float.PositiveInfinity;
        var nodeCount = 0;
        for (var slot = 0; slot < s.SlotCount; slot++)
        {
            if (s.SlotTokenCount[slot] > 0)
            {
                s.SlotNode[slot] = channel.NodeCount + nodeCount++;
                frameMin = MathF.Min(frameMin, s.SlotBest[slot]);
            }
            else
            {
                s.SlotNode[slot] = -1;
            }
        }

        channel.Overflows += _overflow ? 1 : 0;
        channel.MaxActiveCuts += _maxActiveOn ? 1 : 0;
        _totals.Overflows += _overflow ? 1 : 0;
        _totals.MaxActiveCuts += _maxActiveOn ? 1 : 0;
        channel.Beam = _beam;
        _totals.TokensCreated += s.TokenCount;
        if (nodeCount == 0)
        {
            channel.DeadEndFrame = channel.FramesDecoded - 1;
            _totals.DeadEnds++;
            return;
        }

        // Counting sort of the surviving tokens by slot into Order, then each slot's best moved to its front.
        var starts = s.SlotTokenCount;
        var total = 0;
        for (var slot = 0; slot < s.SlotCount; slot++)
        {
            var count = starts[slot];
            starts[slot] = total;
            total += count;
        }

        starts[s.SlotCount] = total;
        for (var t = 0; t < s.TokenCount; t++)
        {
            if (s.TokenCost[t] < _cutoff)
            {
                s.Order[starts[s.TokenSlot[t]]++] = t;
            }
        }

        channel.BeginFrame(previousOffset + frameMin);
        var begin = 0;
        for (var slot = 0; slot < s.SlotCount; slot++)
        {
            var end = starts[slot];
            if (end == begin)
            {
                continue;
            }

            var bestAt = begin;
            for (var i = begin + 1; i < end; i++)
            {
                if (s.TokenCost[s.Order[i]] < s.TokenCost[s.Order[bestAt]])
                {
                    bestAt = i;
                }
            }

            (s.Order[begin], s.Order[bestAt]) = (s.Order[bestAt], s.Order[begin]);
            channel.AddNode(s.SlotState[slot], s.SlotBest[slot] - frameMin);
            for (var i = begin; i < end; i++)
            {
                var t = s.Order[i];
                var prev = s.TokenPrev[t];
                channel.AddToken(prev >= 0 ? prev : prev == NoPrev ? -1 : s.SlotNode[~prev], s.TokenArc[t],
                    s.TokenAcoustic[t]);
            }

            begin = end;
        }

        _totals.NodesKept += nodeCount;
        _totals.TokensKept += total;
    }

    /// <summary>Per slot, the count and min cost of its tokens under the cutoff (in SlotTokenCount and SlotBest);
    /// true when any token survives.</summary>
    private bool CountSurvivors()
    {
        var s = _scratch;
        Array.Clear(s.SlotTokenCount, 0, s.SlotCount + 1);
        s.SlotBest.AsSpan(0, s.SlotCount).Fill(float.PositiveInfinity);
        var any = false;
        for (var t = 0; t < s.TokenCount; t++)
        {
            var cost = s.TokenCost[t];
            if (cost < _cutoff)
            {
                var slot = s.TokenSlot[t];
                s.SlotTokenCount[slot]++;
                s.SlotBest[slot] = MathF.Min(s.SlotBest[slot], cost);
                any = true;
            }
        }

        return any;
    }

    /// <summary>Kills surviving epsilon tokens whose source slot has no survivor; true when it killed any.</summary>
    private bool KillOrphans()
    {
        var s = _scratch;
        var killed = false;
        for (var t = 0; t < s.TokenCount; t++)
        {
            var prev = s.TokenPrev[t];
            if (prev < 0 && prev != NoPrev && s.TokenCost[t] < _cutoff && s.SlotTokenCount[~prev] == 0)
            {
                s.TokenCost[t] = float.PositiveInfinity;
                killed = true;
            }
        }

        return killed;
    }

    /// <summary>More live tokens than the main queue holds: the beam is cut by the cost histogram to about its
    /// capacity, then what still does not fit is dropped, last created first. An overflow, which the channel
    /// counts as a warning.</summary>
    private void FitMainQueue()
    {
        var capacity = _options.MainCapacity;
        var live = CountLive();
        if (live <= capacity)
        {
            return;
        }

        _overflow = true;
        _beam = MathF.Min(_beam, HistogramCut(capacity));
        Tighten();

        var s = _scratch;
        live = CountLive();
        for (var t = s.TokenCount - 1; t >= 0 && live > capacity; t--)
        {
            if (s.TokenCost[t] < _cutoff)
            {
                s.TokenCost[t] = float.PositiveInfinity;
                live--;
            }
        }
    }
}
