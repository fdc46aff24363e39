namespace Svod.Gpu.Wfst;

public sealed partial class WfstDecoder
{
    /// <summary>
    /// The channel's best path so far. With <paramref name="useFinalProbs"/> (the end of an utterance) the best
    /// frontier node counts its state's final weight, if any frontier state is final; otherwise (a partial
    /// hypothesis, or no final state reached) the cheapest frontier node wins. After a dead end the path stops
    /// at the last frame that had tokens (<see cref="WfstPath.Frames"/> says how many frames it covers).
    /// </summary>
    public WfstPath GetBestPath(int channel, bool useFinalProbs = true)
    {
        var c = _channels[_validator.CheckChannel(channel)];
        var (best, cost, final) = BestFrontierNode(c, useFinalProbs && _options.UseFinalProbs);
        var words = new List<int>();
        var frames = new List<int>();
        var frame = c.FrameCount - 1;
        var nodes = c.Nodes;
        var tokens = c.Tokens;
        var olabels = _graph.OLabels;
        var emitting = _graph.NumEmittingArcs;
        for (var n = best; n >= 0;)
        {
            var token = tokens[nodes[n].FirstToken];
            if (token.Arc < 0)
            {
                break;
            }

            if (olabels[token.Arc] != 0)
            {
                words.Add(olabels[token.Arc]);
                frames.Add(Math.Max(frame - 1, 0));
            }

            frame -= token.Arc < emitting ? 1 : 0;
            n = token.PrevNode;
        }

        words.Reverse();
        frames.Reverse();
        return new WfstPath([.. words], [.. frames], cost, final, c.FrameCount - 1);
    }

    /// <summary>The best frontier node, its absolute cost, and whether a final weight was counted (never after a
    /// dead end: that path does not cover the utterance).</summary>
    private (int Node, double Cost, bool Final) BestFrontierNode(WfstChannel c, bool useFinals)
    {
        useFinals &= c.DeadEndFrame < 0;
        var nodes = c.Nodes;
        var finals = _graph.Finals;
        var offset = c.FrameOffset(c.FrameCount - 1);
        int best = -1, bestFinal = -1;
        double bestCost = double.PositiveInfinity, bestFinalCost = double.PositiveInfinity;
        for (var n = c.FrontierStart; n < nodes.Length; n++)
        {
            if (nodes[n].Cost < bestCost)
            {
                bestCost = nodes[n].Cost;
                best = n;
            }

            var withFinal = (double)nodes[n].Cost + finals[nodes[n].State];
            if (useFinals && withFinal < bestFinalCost)
            {
                bestFinalCost = withFinal;
                bestFinal = n;
            }
        }

        return bestFinal >= 0 ? (bestFinal, offset + bestFinalCost, true) : (best, offset + bestCost, false);
    }

    /// <summary>The cost of <see cref="GetBestPath"/> with final weights, without the traceback.</summary>
    public double BestCost(int channel)
    {
        var c = _channels[_validator.CheckChannel(channel)];
        return BestFrontierNode(c, _options.UseFinalProbs).Cost;
    }

    /// <summary>Whether a frontier state is final (so the best path ends in one).</summary>
    public bool ReachedFinal(int channel)
    {
        var c = _channels[_validator.CheckChannel(channel)];
        return BestFrontierNode(c, useFinals: true).Final;
    }
}
