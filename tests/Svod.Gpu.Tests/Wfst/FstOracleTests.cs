using System.Globalization;
using System.Text;
using Svod.Gpu.Wfst;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>The OpenFst oracle a decoder's tests lean on, proved on a graph small enough to solve by hand and on
/// random acyclic graphs solved by enumerating every path.</summary>
public sealed class FstOracleTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;

    /// <summary>
    /// Two classes, two frames. Paths that consume both frames (class sequence → words):
    /// 0→1→2 (c0 c0 → 10), 0→1→3 (c0 c1 → 10 30), 0→1→2 (c1 c0 → 20), 0→1→3 (c1 c1 → 20 30),
    /// 0→1→4→2 (c0 ε c1 → 10 40), 0→1→4→2 (c1 ε c1 → 20 40).
    /// </summary>
    private const string HandGraph = """
        0	1	1	10	0.5
        0	1	2	20
        1	2	1	0
        1	3	2	30	1
        1	4	0	40	0.1
        4	2	2	0
        2	0.25
        3

        """;

    private readonly FstOracle _oracle = new();

    /// <summary>Frame 0: p(c0) = 0.6, p(c1) = 0.4; frame 1: p(c0) = 0.2, p(c1) = 0.8.</summary>
    private static readonly float[] HandLogProbs = [MathF.Log(0.6f), MathF.Log(0.4f), MathF.Log(0.2f), MathF.Log(0.8f)];

    [Fact]
    public void The_frame_acceptor_has_an_arc_per_frame_and_class_labelled_class_plus_one_with_the_scaled_cost()
    {
        var text = FstOracle.FrameAcceptorText([-1f, -0.5f, -2f, -0.25f, 0f, float.NegativeInfinity], 3, 2f);

        Assert.Equal("0\t1\t1\t1\t2\n0\t1\t2\t2\t1\n0\t1\t3\t3\t4\n" +
            "1\t2\t1\t1\t0.5\n1\t2\t2\t2\t-0\n1\t2\t3\t3\tInfinity\n2\t0\n", text);
        Assert.Equal("0\t0\n", FstOracle.FrameAcceptorText([], 4, 1f));
        Assert.Throws<ArgumentException>(() => FstOracle.FrameAcceptorText([1f, 2f, 3f], 2, 1f));
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        var acceptor = _oracle.Compile(text);
        Assert.Equal(3, _oracle.StateCount(acceptor));
        Assert.Equal(6, _oracle.ArcCount(acceptor));
    }

    [Fact]
    public void The_best_path_of_a_hand_solved_graph_is_its_cheapest_path_from_a_file_or_a_graph()
    {
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        // The cheapest: c1 (−ln 0.4) → word 20, ε → word 40 (0.1), c1 (−ln 0.8), final 0.25.
        var expectedCost = -Math.Log(0.4) + 0.1 - Math.Log(0.8) + 0.25;
        var fromFile = _oracle.BestPath(_oracle.Compile(HandGraph), HandLogProbs, 2, 1f);
        var fromGraph = _oracle.BestPath(Graph(HandGraph), HandLogProbs, 2, 1f);

        foreach (var best in new[] { fromFile, fromGraph })
        {
            Assert.NotNull(best);
            Assert.Equal([2, 2], best.ILabels);
            Assert.Equal([20, 40], best.OLabels);
            Assert.Equal(expectedCost, best.Cost, Tolerance);
        }

        // Scaling the acoustics by 3 makes c0 c1 → 10 40 (0.5 + 0.1 + 0.25 of graph cost) the cheapest.
        var scaled = _oracle.BestPath(Graph(HandGraph), HandLogProbs, 2, 3f);
        Assert.NotNull(scaled);
        Assert.Equal([1, 2], scaled.ILabels);
        Assert.Equal([10, 40], scaled.OLabels);
        Assert.Equal((-3 * Math.Log(0.6)) + 0.5 + 0.1 + (-3 * Math.Log(0.8)) + 0.25, scaled.Cost, Tolerance);
    }

    [Fact]
    public void The_n_best_paths_of_the_hand_solved_graph_are_listed_cheapest_first()
    {
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        var graph = _oracle.Compile(HandGraph);
        double c00 = -Math.Log(0.6), c01 = -Math.Log(0.4), c10 = -Math.Log(0.2), c11 = -Math.Log(0.8);
        var all = new (int[] ILabels, int[] OLabels, double Cost)[]
        {
            ([2, 2], [20, 40], c01 + 0.1 + c11 + 0.25),
            ([1, 2], [10, 40], c00 + 0.5 + 0.1 + c11 + 0.25),
            ([2, 2], [20, 30], c01 + c11 + 1),
            ([1, 2], [10, 30], c00 + 0.5 + c11 + 1),
            ([2, 1], [20], c01 + c10 + 0.25),
            ([1, 1], [10], c00 + 0.5 + c10 + 0.25),
        };

        var three = _oracle.NBest(graph, HandLogProbs, 2, 1f, 3);
        Assert.Equal(3, three.Count);
        var everything = _oracle.NBest(graph, HandLogProbs, 2, 1f, 100);
        Assert.Equal(all.Length, everything.Count);
        foreach (var (expected, actual) in all.Zip(everything).Concat(all.Zip(three)))
        {
            Assert.Equal(expected.ILabels, actual.ILabels);
            Assert.Equal(expected.OLabels, actual.OLabels);
            Assert.Equal(expected.Cost, actual.Cost, Tolerance);
        }
    }

    [Fact]
    public void Best_and_n_best_paths_of_random_acyclic_graphs_are_those_of_enumerating_every_path()
    {
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        var withPaths = 0;
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var classes = random.Next(2, 4);
            var frames = random.Next(1, 5);
            var scale = new[] { 1f, 0.5f, 1.3f }[random.Next(3)];
            var logProbs = new float[frames * classes];
            for (var i = 0; i < logProbs.Length; i++)
            {
                logProbs[i] = -random.NextSingle() * 5;
            }

            var text = RandomAcyclicGraph(random, classes);
            var graph = Graph(text);
            var all = Enumerate(graph, logProbs, classes, scale);
            var source = seed % 2 == 0 ? _oracle.Compile(text) : _oracle.WriteBinary(graph);
            var best = _oracle.BestPath(source, logProbs, classes, scale);
            var nbest = _oracle.NBest(source, logProbs, classes, scale, 3);
            var context = $"seed {seed}: {frames} frames × {classes} classes, scale {scale}, {all.Count} paths\n{text}";
            if (all.Count == 0)
            {
                Assert.True(best is null, context);
                Assert.Empty(nbest);
                continue;
            }

            withPaths++;
            Assert.True(best is not null, context);
            Assert.True(Math.Abs(all[0].Cost - best.Cost) < Tolerance, $"{context}best {best.Cost}, not {all[0].Cost}");
            Assert.Equal(Math.Min(3, all.Count), nbest.Count);
            Assert.Equal(best.Cost, nbest[0].Cost, Tolerance);
            for (var k = 0; k < nbest.Count; k++)
            {
                Assert.True(Math.Abs(all[k].Cost - nbest[k].Cost) < Tolerance, $"{context}path {k}");
                Assert.True(k == 0 || nbest[k - 1].Cost <= nbest[k].Cost, $"{context}order at {k}");
            }

            // Ties aside, the labels are those of an enumerated path of the same cost.
            foreach (var hypothesis in nbest.Prepend(best))
            {
                Assert.Equal(frames, hypothesis.ILabels.Length);
                Assert.Contains(all, p => p.ILabels.SequenceEqual(hypothesis.ILabels)
                    && p.OLabels.SequenceEqual(hypothesis.OLabels) && Math.Abs(p.Cost - hypothesis.Cost) < Tolerance);
            }
        }

        output.WriteLine($"{withPaths} of 40 random graphs had a path for their frames");
        Assert.True(withPaths >= 20, $"only {withPaths} of 40 graphs had a path: the test proves little");
    }

    [Fact]
    public void No_path_through_the_frames_to_a_final_state_gives_no_best_path_and_no_n_best()
    {
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        // One frame of class 0 reaches the final state: two frames, or a frame of class 1, do not.
        var graph = _oracle.Compile("0\t1\t1\t5\n1\n");
        Assert.Null(_oracle.BestPath(graph, HandLogProbs, 2, 1f));
        Assert.Empty(_oracle.NBest(graph, HandLogProbs, 2, 1f, 5));
        Assert.Null(_oracle.BestPath(graph, [-0.5f, -0.1f], 1, 1f));
        var one = _oracle.BestPath(graph, [-0.5f, -0.1f], 2, 1f);
        Assert.NotNull(one);
        Assert.Equal([5], one.OLabels);
        Assert.Equal(0.5, one.Cost, Tolerance);
    }

    [Fact]
    public void Prune_keeps_the_arcs_of_paths_within_the_threshold_of_the_best()
    {
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        // Best path cost 0.25 (0→1 on 20, 1→2, final). Through each arc: 0→1 on 10: 0.75; 0→1 on 20: 0.25;
        // 1→2: 0.25; 1→3: 1; 1→4 and 4→2: 0.35. State 3 (final 0) is only on the path of cost 1.
        var graph = _oracle.Compile(HandGraph);
        Assert.Equal(5, _oracle.StateCount(graph));
        Assert.Equal(6, _oracle.ArcCount(graph));
        foreach (var (threshold, states, arcs) in new[] { (0f, 3, 2), (0.2f, 4, 4), (0.6f, 4, 5), (0.8f, 5, 6) })
        {
            var pruned = _oracle.Prune(graph, threshold);
            Assert.True(states == _oracle.StateCount(pruned), $"threshold {threshold}: states");
            Assert.True(arcs == _oracle.ArcCount(pruned), $"threshold {threshold}: arcs");
        }
    }

    [Fact]
    public void Shortest_distances_forward_and_reverse_are_infinite_where_no_path_reaches()
    {
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        var graph = _oracle.Compile(HandGraph);
        Assert.Equal([0f, 0f, 0f, 1f, 0.1f], _oracle.ShortestDistance(graph, reverse: false));
        Assert.Equal([0.25f, 0.25f, 0.25f, 0f, 0.25f], _oracle.ShortestDistance(graph, reverse: true));

        // States 2 to 4 cannot be reached (fstshortestdistance does not print them); state 4 is on no path at all.
        var cut = _oracle.Compile("0\t1\t1\t1\t0.5\n1\t0.5\n2\t3\t1\t1\t1\n3\t0.75\n4\tInfinity\n");
        var inf = float.PositiveInfinity;
        Assert.Equal([0f, 0.5f, inf, inf, inf], _oracle.ShortestDistance(cut, reverse: false));
        Assert.Equal([1f, 0.5f, 1.75f, 0.75f, inf], _oracle.ShortestDistance(cut, reverse: true));

        // Nothing final: fstshortestdistance --reverse prints nothing.
        Assert.Equal([inf, inf], _oracle.ShortestDistance(_oracle.Compile("0\t1\t1\t1\n"), reverse: true));
    }

    [Fact]
    public void Paths_are_walked_from_the_first_printed_state_skipping_epsilons_and_adding_final_weights()
    {
        // fstshortestpath's numbering: the start is state 3, the final state 0.
        var single = FstOracle.Paths("3\t2\t2\t20\t0.91629076\n0\t0.25\n1\t0\t2\t0\t0.223143548\n" +
            "2\t1\t0\t40\t0.100000001\n");
        var path = Assert.Single(single);
        Assert.Equal([2, 2], path.ILabels);
        Assert.Equal([20, 40], path.OLabels);
        Assert.Equal(0.91629076 + 0.25 + 0.223143548 + 0.100000001, path.Cost, 1e-6);

        // --nshortest=2: epsilon arcs from the start, a shared suffix, the final weight on an epsilon arc.
        var two = FstOracle.Paths("0\t4\t0\t0\n0\t5\t0\t0\t1\n1\n2\t1\t0\t0\t0.25\n3\t2\t1\t7\t2\n" +
            "4\t3\t0\t0\n5\t3\t0\t0\n");
        Assert.Equal([2.25, 3.25], two.Select(p => p.Cost).Order());
        Assert.All(two, p => Assert.Equal([7], p.OLabels));
        Assert.Empty(FstOracle.Paths(""));
        Assert.Throws<InvalidOperationException>(() => FstOracle.Paths("0\t1\t1\t1\n1\t0\t1\t1\n"));
    }

    public void Dispose() => _oracle.Dispose();

    private static WfstGraph Graph(string text) => OpenFstReader.ReadText(new StringReader(text), "graph.txt");

    /// <summary>States 0..n−1 with arcs only to higher states (so acyclic), start 0: labels 0..classes in,
    /// about a quarter epsilons, words 0..9 out; weights from −0.5 to 3; some states final, the last always.</summary>
    private static string RandomAcyclicGraph(Random random, int classes)
    {
        var states = random.Next(3, 9);
        var text = new StringBuilder();
        for (var s = 0; s < states - 1; s++)
        {
            for (var a = random.Next(1, 4); a > 0; a--)
            {
                var ilabel = random.Next(4) == 0 ? 0 : random.Next(1, classes + 1);
                var weight = (random.NextSingle() * 3.5f) - 0.5f;
                text.Append(CultureInfo.InvariantCulture,
                    $"{s}\t{random.Next(s + 1, states)}\t{ilabel}\t{random.Next(10)}\t{weight:R}\n");
            }

            if (random.Next(3) == 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{s}\t{random.NextSingle() * 2:R}\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"{states - 1}\t{random.NextSingle():R}\n");
        return text.ToString();
    }

    /// <summary>Every path of an acyclic graph from its start to a final state with exactly one emitting arc per
    /// frame, cheapest first: cost = arc weights + final weight + the frame acceptor's float cost per frame.</summary>
    private static List<FstOracle.Hypothesis> Enumerate(WfstGraph graph, float[] logProbs, int classes, float scale)
    {
        var frames = logProbs.Length / classes;
        var paths = new List<FstOracle.Hypothesis>();
        Walk(graph.Start, [], [], 0.0);
        return [.. paths.OrderBy(p => p.Cost)];

        void Walk(int state, List<int> ilabels, List<int> olabels, double cost)
        {
            var final = graph.Finals[state];
            if (ilabels.Count == frames && !float.IsPositiveInfinity(final))
            {
                paths.Add(new FstOracle.Hypothesis([.. ilabels], [.. olabels], cost + final));
            }

            var ranges = new[]
            {
                (graph.EmittingOffsets[state], graph.EmittingOffsets[state + 1]),
                (graph.NonEmittingOffsets[state], graph.NonEmittingOffsets[state + 1]),
            };
            foreach (var (begin, end) in ranges)
            {
                for (var a = begin; a < end; a++)
                {
                    var emitting = graph.ILabels[a] != 0;
                    if (emitting && ilabels.Count == frames)
                    {
                        continue;
                    }

                    var arcCost = cost + graph.Weights[a];
                    if (emitting)
                    {
                        arcCost += -(scale * logProbs[(ilabels.Count * classes) + graph.ILabels[a] - 1]);
                    }

                    List<int> i = emitting ? [.. ilabels, graph.ILabels[a]] : ilabels;
                    List<int> o = graph.OLabels[a] != 0 ? [.. olabels, graph.OLabels[a]] : olabels;
                    Walk(graph.NextStates[a], i, o, arcCost);
                }
            }
        }
    }
}
