using System.Globalization;
using Svod.Gpu.Ctc;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Ctc;

/// <summary>
/// The CTC topology T: its shape and labels, and that the best path of (frame log-probs ∘ T) outputs what greedy CTC
/// outputs — by brute-force Viterbi here, and with OpenFst's own fstcompose/fstshortestpath when installed.
/// </summary>
public sealed class CtcTopologyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 1)]
    [InlineData(5, 4)]
    [InlineData(5, 0)]
    [InlineData(6, 2)]
    public void Every_state_has_one_arc_per_class_and_labels_are_ids_plus_one(int classes, int blank)
    {
        var topology = CtcTopology.Build(classes, blank);
        var arcs = topology.Arcs().ToArray();
        Assert.Equal(classes, topology.StateCount);
        Assert.Equal(classes * classes, arcs.Length);
        Assert.Equal(topology.ArcCount, arcs.Length);
        foreach (var group in arcs.GroupBy(a => a.Source))
        {
            Assert.Equal(Enumerable.Range(1, classes), group.Select(a => a.InputLabel)); // ilabel-sorted, complete
        }

        Assert.All(arcs, a =>
        {
            var classId = a.InputLabel - 1;
            Assert.Equal(topology.StateOf(classId), a.Destination);
            Assert.Equal(0f, a.Weight);
            if (classId == blank)
            {
                Assert.Equal(CtcTopology.StartState, a.Destination);
                Assert.Equal(0, a.OutputLabel);
            }
            else
            {
                // Entering a token's state outputs the token once; staying in it outputs epsilon.
                Assert.Equal(a.Source == a.Destination ? 0 : classId + 1, a.OutputLabel);
                Assert.NotEqual(CtcTopology.StartState, a.Destination);
            }
        });
        Assert.Equal(classes, Enumerable.Range(0, classes).Select(topology.StateOf).Distinct().Count());
    }

    [Fact]
    public void Text_form_has_the_start_state_first_and_every_state_final()
    {
        var text = Text(CtcTopology.Build(3, 2));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(9 + 3, lines.Length);
        Assert.Equal(
        [
            "0 1 1 1 0", "0 2 2 2 0", "0 0 3 0 0",
            "1 1 1 0 0", "1 2 2 2 0", "1 0 3 0 0",
            "2 1 1 1 0", "2 2 2 0 0", "2 0 3 0 0",
            "0 0", "1 0", "2 0",
        ], lines);
    }

    [Fact]
    public void Brute_force_Viterbi_over_T_outputs_the_greedy_tokens()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var classes = random.Next(2, 7);
            var blank = random.Next(2) == 0 ? classes - 1 : random.Next(classes);
            var rows = random.Next(0, 14);
            var logProbs = PeakedLogProbs(random, rows, classes, blank);
            var topology = CtcTopology.Build(classes, blank);

            var (cost, labels) = Viterbi(topology, logProbs, rows);
            var (tokens, _) = CtcGreedy.Decode(logProbs, classes, blank);
            Assert.Equal(tokens.Select(t => t + 1), labels);
            Assert.Equal(GreedyCost(logProbs, classes), cost, 1e-9);
        }
    }

    [Fact]
    public void OpenFst_shortest_path_of_frames_composed_with_T_is_the_greedy_output()
    {
        string? compile = RequiredTool.Find("fstcompile"), compose = RequiredTool.Find("fstcompose"),
            shortest = RequiredTool.Find("fstshortestpath"), print = RequiredTool.Find("fstprint");
        if (RequiredTool.Skip(compile is null || compose is null || shortest is null || print is null
                ? "OpenFst tools are not installed (apt-get install libfst-tools)" : null, output))
        {
            return;
        }

        using var dir = new TempDirectory();
        foreach (var (seed, classes, blank, rows) in new[] { (1, 5, 4, 12), (2, 8, 0, 20), (3, 34, 33, 40) })
        {
            var random = new Random(seed);
            var logProbs = PeakedLogProbs(random, rows, classes, blank);
            var topology = CtcTopology.Build(classes, blank);
            using (var writer = new StreamWriter(dir["T.txt"]))
            {
                topology.WriteText(writer);
            }

            File.WriteAllText(dir["frames.txt"], FrameAcceptor(logProbs, rows, classes));
            ToolRun.Check(compile!, dir["T.txt"], dir["T.fst"]);
            ToolRun.Check(compile!, dir["frames.txt"], dir["frames.fst"]);
            ToolRun.Check(compose!, dir["frames.fst"], dir["T.fst"], dir["composed.fst"]);
            ToolRun.Check(shortest!, dir["composed.fst"], dir["best.fst"]);
            var (labels, cost) = ReadPath(ToolRun.Check(print!, dir["best.fst"]));

            var (tokens, _) = CtcGreedy.Decode(logProbs, classes, blank);
            Assert.Equal(tokens.Select(t => t + 1), labels);
            Assert.Equal(GreedyCost(logProbs, classes), cost, 1e-3);
            output.WriteLine($"C={classes} blank={blank} T={rows}: {tokens.Length} tokens, cost {cost:F4}");
        }
    }

    [Fact]
    public void Sizes_beyond_32_bit_arc_offsets_and_bad_blanks_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CtcTopology.Build(50_000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtcTopology.Build(5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtcTopology.Build(1, 0));
        Assert.Equal(1025L * 1025, CtcTopology.Build(1025, 1024).ArcCount);
    }

    /// <summary>Random log-probs [T, C] with one clear winner per frame (gap ≥ 1), drawn from blank, a repeat of
    /// the previous frame's class, or any class, so runs, blanks and "a ∅ a" all occur.</summary>
    private static float[] PeakedLogProbs(Random random, int rows, int classes, int blank)
    {
        var logProbs = new float[rows * classes];
        var previous = blank;
        for (var t = 0; t < rows; t++)
        {
            var row = logProbs.AsSpan(t * classes, classes);
            for (var k = 0; k < classes; k++)
            {
                row[k] = -2f - (float)(random.NextDouble() * 6);
            }

            var r = random.NextDouble();
            var winner = r < 0.3 ? blank : r < 0.55 ? previous : random.Next(classes);
            row[winner] = -(float)(random.NextDouble() * 0.9);
            previous = winner;
        }

        return logProbs;
    }

    /// <summary>Viterbi in the tropical semiring over (frames ∘ T), written from the arc list alone: cost of a path
    /// = Σ −logProbs[t][ilabel − 1]; every state final with weight 0. Returns the best cost and its non-epsilon
    /// output labels.</summary>
    private static (double Cost, List<int> Labels) Viterbi(CtcTopology topology, float[] logProbs, int rows)
    {
        var classes = topology.Classes;
        var arcs = topology.Arcs().ToArray();
        var cost = new double[topology.StateCount];
        Array.Fill(cost, double.PositiveInfinity);
        cost[CtcTopology.StartState] = 0;
        var back = new (int State, int Output)[rows, topology.StateCount];
        for (var t = 0; t < rows; t++)
        {
            var next = new double[topology.StateCount];
            Array.Fill(next, double.PositiveInfinity);
            foreach (var arc in arcs)
            {
                var c = cost[arc.Source] - logProbs[(t * classes) + arc.InputLabel - 1] + arc.Weight;
                if (c < next[arc.Destination])
                {
                    next[arc.Destination] = c;
                    back[t, arc.Destination] = (arc.Source, arc.OutputLabel);
                }
            }

            cost = next;
        }

        var state = Array.IndexOf(cost, cost.Min());
        var best = cost[state];
        var labels = new List<int>();
        for (var t = rows - 1; t >= 0; t--)
        {
            var (previous, label) = back[t, state];
            if (label != 0)
            {
                labels.Add(label);
            }

            state = previous;
        }

        labels.Reverse();
        return (best, labels);
    }

    private static double GreedyCost(float[] logProbs, int classes)
    {
        var cost = 0.0;
        for (var t = 0; t < logProbs.Length / classes; t++)
        {
            cost -= logProbs.AsSpan(t * classes, classes).ToArray().Max();
        }

        return cost;
    }

    /// <summary>A linear acceptor of the frames: T+1 states, arc t → t+1 for every class with label class + 1 and
    /// cost −log p.</summary>
    private static string FrameAcceptor(float[] logProbs, int rows, int classes)
    {
        var text = new System.Text.StringBuilder();
        for (var t = 0; t < rows; t++)
        {
            for (var k = 0; k < classes; k++)
            {
                var cost = (-logProbs[(t * classes) + k]).ToString("R", CultureInfo.InvariantCulture);
                text.Append(CultureInfo.InvariantCulture, $"{t} {t + 1} {k + 1} {k + 1} {cost}\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"{rows} 0\n");
        return text.ToString();
    }

    /// <summary>fstprint of a single path: follows it from the start state (the first line's source), collecting
    /// non-epsilon output labels and the total cost including the final weight.</summary>
    private static (List<int> Labels, double Cost) ReadPath(string printed)
    {
        var arcs = new Dictionary<int, (int Destination, int Output, double Weight)>();
        var finals = new Dictionary<int, double>();
        int? start = null;
        foreach (var line in printed.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t', ' ');
            var source = int.Parse(f[0], CultureInfo.InvariantCulture);
            start ??= source;
            if (f.Length >= 4)
            {
                arcs.Add(source, (int.Parse(f[1], CultureInfo.InvariantCulture),
                    int.Parse(f[3], CultureInfo.InvariantCulture), f.Length > 4 ? Parse(f[4]) : 0));
            }
            else
            {
                finals[source] = f.Length > 1 ? Parse(f[1]) : 0;
            }
        }

        var labels = new List<int>();
        var cost = 0.0;
        if (start is null)
        {
            throw new InvalidOperationException("fstshortestpath gave an empty FST: no path");
        }

        for (var state = start.Value; ; )
        {
            if (!arcs.TryGetValue(state, out var arc))
            {
                return (labels, cost + finals[state]);
            }

            if (arc.Output != 0)
            {
                labels.Add(arc.Output);
            }

            cost += arc.Weight;
            state = arc.Destination;
        }

        static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
    }

    private static string Text(CtcTopology topology)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        topology.WriteText(writer);
        return writer.ToString();
    }
}
