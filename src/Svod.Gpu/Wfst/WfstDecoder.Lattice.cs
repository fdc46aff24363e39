namespace Svod.Gpu.Wfst;

public sealed partial class WfstDecoder
{
    /// <summary>
    /// The channel's raw lattice (Kaldi's GetRawLattice): the state-level search history pruned to the arcs that
    /// lie on a path within <see cref="WfstDecoderOptions.LatticeBeam"/> of the best path. Its states are
    /// (frame, graph state) nodes, the start first; its arcs are the graph arcs the search took, with the graph's
    /// labels (input = class + 1 or 0, output = word or 0) and as weight the graph weight plus the acoustic cost
    /// (−scale × log-prob), so the lattice's shortest path is <see cref="GetBestPath"/>. Its final states are the
    /// last frame's, weighted by the graph's final weights when one is final (and final weights are used), else
    /// with weight 0. Write it with <see cref="WfstGraph.WriteText"/> or <see cref="WfstGraph.WriteBinary(string)"/>.
    /// </summary>
    public WfstGraph GetLattice(int channel, bool useFinalProbs = true)
    {
        var c = _channels[_validator.CheckChannel(channel)];
        var nodes = c.Nodes;
        var tokens = c.Tokens;
        var weights = _graph.Weights;
        var (_, bestCost, final) = BestFrontierNode(c, useFinalProbs && _options.UseFinalProbs);

        var alpha = new double[nodes.Length];
        for (var f = 0; f < c.FrameCount; f++)
        {
            for (var n = c.FrameStart(f); n < c.FrameStart(f + 1); n++)
            {
                alpha[n] = c.FrameOffset(f) + nodes[n].Cost;
            }
        }

        var beta = Backward(c, final);
        // Costs are sums of floats normalized per frame; the slack keeps the best path's own arcs from falling out
        // of a tight lattice beam by rounding.
        var limit = bestCost + _options.LatticeBeam + 1e-3 + 1e-5 * c.FrameCount;

        // Keep the tokens (arcs) on a path within the lattice beam, with the node each enters, and number the
        // nodes they touch.
        var kept = new List<(int Token, int Node)>();
        var ids = new int[nodes.Length];
        ids.AsSpan().Fill(-1);
        ids[0] = 0;
        var numStates = 1;
        for (var n = 0; n < nodes.Length; n++)
        {
            for (var t = nodes[n].FirstToken; t < c.TokenEnd(n); t++)
            {
                var token = tokens[t];
                if (token.Arc < 0 || alpha[token.PrevNode] + weights[token.Arc] + token.Acoustic + beta[n] > limit)
                {
                    continue;
                }

                kept.Add((t, n));
                if (ids[n] < 0)
                {
                    ids[n] = numStates++;
                }

                if (ids[token.PrevNode] < 0)
                {
                    ids[token.PrevNode] = numStates++;
                }
            }
        }

        var builder = new WfstGraphBuilder(numStates, 0, $"lattice of channel {channel}");
        foreach (var (t, _) in kept)
        {
            builder.Count(ids[tokens[t].PrevNode], _graph.ILabels[tokens[t].Arc]);
        }

        builder.Allocate();
        foreach (var (t, n) in kept)
        {
            var arc = tokens[t].Arc;
            builder.Add(ids[tokens[t].PrevNode], _graph.ILabels[arc], _graph.OLabels[arc],
                weights[arc] + tokens[t].Acoustic, ids[n]);
        }

        for (var n = c.FrontierStart; n < nodes.Length; n++)
        {
            var weight = final ? _graph.Finals[nodes[n].State] : 0f;
            if (ids[n] >= 0 && alpha[n] + weight <= limit)
            {
                builder.SetFinal(ids[n], weight);
            }
        }

        return builder.Build();
    }

    /// <summary>Per node, the cheapest cost from it to the end of the history (a frontier node's final weight
    /// when <paramref name="final"/>, else 0). Frames are walked last to first; within a frame the epsilon arcs are
    /// relaxed until nothing changes, as they may run in any direction between its nodes (at most once per node
    /// and pass: more would mean a negative-cost epsilon cycle, where the cheapest cost is unbounded).</summary>
    private double[] Backward(WfstChannel c, bool final)
    {
        var nodes = c.Nodes;
        var tokens = c.Tokens;
        var weights = _graph.Weights;
        var emitting = _graph.NumEmittingArcs;
        var beta = new double[nodes.Length];
        beta.AsSpan().Fill(double.PositiveInfinity);
        for (var n = c.FrontierStart; n < nodes.Length; n++)
        {
            beta[n] = final ? _graph.Finals[nodes[n].State] : 0d;
        }

        for (var f = c.FrameCount - 1; f >= 0; f--)
        {
            int begin = c.FrameStart(f), end = c.FrameStart(f + 1);
            bool changed;
            var passes = 0;
            do
            {
                changed = false;
                for (var n = end - 1; n >= begin; n--)
                {
                    for (var t = nodes[n].FirstToken; t < c.TokenEnd(n); t++)
                    {
                        var token = tokens[t];
                        if (token.Arc >= emitting && weights[token.Arc] + beta[n] < beta[token.PrevNode])
                        {
                            beta[token.PrevNode] = weights[token.Arc] + beta[n];
                            changed = true;
                        }
                    }
                }
            }
            while (changed && ++passes <= end - begin);

            for (var n = begin; n < end; n++)
            {
                for (var t = nodes[n].FirstToken; t < c.TokenEnd(n); t++)
                {
                    var token = tokens[t];
                    if (token.Arc >= 0 && token.Arc < emitting)
                    {
                        var through = weights[token.Arc] + token.Acoustic + beta[n];
                        beta[token.PrevNode] = Math.Min(beta[token.PrevNode], through);
                    }
                }
            }
        }

        return beta;
    }
}
