using System.Globalization;
using System.Text;
using Svod.Gpu.Wfst;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>
/// A random small transducer written as OpenFst text, with what a reader must make of it: random states, arcs,
/// labels (about a third epsilons), weights (0 left out, short decimals, full-precision floats, a rare Infinity),
/// several final states (a final line repeated now and then: the last one counts), one state with no arcs, and the
/// lines of different states interleaved. The start state's line comes first, as fstcompile requires.
/// </summary>
internal sealed class RandomFst
{
    private RandomFst(int numStates, int start, float[] finals, List<Arc>[] arcs, string text)
    {
        NumStates = numStates;
        Start = start;
        Finals = finals;
        Arcs = arcs;
        Text = text;
    }

    public int NumStates { get; }

    public int Start { get; }

    public float[] Finals { get; }

    /// <summary>Per state, its arcs in the order of the text.</summary>
    public List<Arc>[] Arcs { get; }

    public string Text { get; }

    /// <param name="symbol">How a label is written: its number, or a symbol when compiled with symbol tables.</param>
    public static RandomFst Generate(Random random, Func<int, string>? symbol = null)
    {
        symbol ??= label => label.ToString(CultureInfo.InvariantCulture);
        var states = random.Next(2, 12);
        var start = random.Next(states);
        var empty = (start + 1 + random.Next(states - 1)) % states;
        var first = new List<string>();
        var rest = new List<string>();
        for (var s = 0; s < states; s++)
        {
            var lines = s == start ? first : rest;
            var arcs = s == empty ? 0 : random.Next(0, 6);
            for (var a = 0; a < arcs; a++)
            {
                var next = random.Next(states);
                var weight = RandomWeight(random);
                lines.Add(string.Join('\t', new[] { s.ToString(CultureInfo.InvariantCulture),
                    next.ToString(CultureInfo.InvariantCulture), symbol(RandomLabel(random)),
                    symbol(RandomLabel(random)), weight }.Where(f => f.Length > 0)));
            }

            var finals = s == empty ? 1 : random.Next(4) == 0 ? 2 : random.Next(2);
            for (var f = 0; f < finals; f++)
            {
                var weight = RandomWeight(random);
                lines.Add(weight.Length > 0 ? $"{s}\t{weight}" : $"{s}");
            }
        }

        // The empty state must exist: make it a target when it is not final.
        if (!rest.Concat(first).Any(l => l.Split('\t')[0] == $"{empty}"))
        {
            rest.Add($"{start}\t{empty}\t{symbol(0)}\t{symbol(1)}");
        }

        if (first.Count == 0)
        {
            first.Add($"{start}\tInfinity");
        }

        // Interleave states, keeping each state's lines in their order: shuffle, then stable-sort by a random key
        // per line that is increasing within a state.
        var order = rest.Select((line, i) => (line, key: random.NextDouble())).ToList();
        var byState = order.GroupBy(x => x.line.Split('\t')[0]).SelectMany(g =>
        {
            var keys = g.Select(x => x.key).Order().ToArray();
            return g.Select((x, i) => (x.line, key: keys[i]));
        });
        var text = new StringBuilder();
        foreach (var line in first.Concat(byState.OrderBy(x => x.key).Select(x => x.line)))
        {
            text.Append(line).Append('\n');
        }

        return Parse(text.ToString(), start, symbol);
    }

    /// <summary>What the lines say, read independently of the reader under test.</summary>
    private static RandomFst Parse(string text, int start, Func<int, string> symbol)
    {
        var labels = Enumerable.Range(0, 21).ToDictionary(symbol, l => l);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        var numStates = lines.Max(f => f.Length >= 4 ? Math.Max(int.Parse(f[0]), int.Parse(f[1])) : int.Parse(f[0]))
            + 1;
        var finals = Enumerable.Repeat(float.PositiveInfinity, numStates).ToArray();
        var arcs = Enumerable.Range(0, numStates).Select(_ => new List<Arc>()).ToArray();
        foreach (var f in lines)
        {
            if (f.Length >= 4)
            {
                arcs[int.Parse(f[0])].Add(new Arc(labels[f[2]], labels[f[3]],
                    f.Length == 5 ? Weight(f[4]) : 0f, int.Parse(f[1])));
            }
            else
            {
                finals[int.Parse(f[0])] = f.Length == 2 ? Weight(f[1]) : 0f;
            }
        }

        return new RandomFst(numStates, start, finals, arcs, text);
    }

    private static float Weight(string text) =>
        text == "Infinity" ? float.PositiveInfinity : (float)double.Parse(text, CultureInfo.InvariantCulture);

    private static int RandomLabel(Random random) => random.Next(3) == 0 ? 0 : random.Next(1, 21);

    /// <summary>"" for the weight 0 (left out of the line).</summary>
    private static string RandomWeight(Random random) => random.Next(20) switch
    {
        < 6 => "",
        < 12 => (random.Next(-200, 1000) / 100.0).ToString("0.##", CultureInfo.InvariantCulture),
        < 19 => ((float)(random.NextDouble() * 30 - 5)).ToString("R", CultureInfo.InvariantCulture),
        _ => "Infinity",
    };

    /// <summary>The graph has exactly these states, finals and arcs: per state its emitting arcs in text order,
    /// then its non-emitting ones in text order (which also makes the arcs equal as a multiset per state).</summary>
    public void AssertMatches(WfstGraph graph)
    {
        Assert.Equal(NumStates, graph.NumStates);
        Assert.Equal(Start, graph.Start);
        Assert.Equal(Finals, graph.Finals.ToArray());
        Assert.Equal(Arcs.Sum(a => a.Count), graph.NumArcs);
        Assert.Equal(Arcs.Sum(a => a.Count(x => x.ILabel != 0)), graph.NumEmittingArcs);
        Assert.Equal(graph.NumArcs - graph.NumEmittingArcs, graph.NumNonEmittingArcs);
        Assert.Equal(graph.NumEmittingArcs, graph.NonEmittingOffsets[0]);
        Assert.Equal(graph.NumArcs, graph.NonEmittingOffsets[NumStates]);
        for (var s = 0; s < NumStates; s++)
        {
            Assert.Equal(Arcs[s].Where(a => a.ILabel != 0),
                ArcsOf(graph, graph.EmittingOffsets[s], graph.EmittingOffsets[s + 1]));
            Assert.Equal(Arcs[s].Where(a => a.ILabel == 0),
                ArcsOf(graph, graph.NonEmittingOffsets[s], graph.NonEmittingOffsets[s + 1]));
        }
    }

    public static List<Arc> ArcsOf(WfstGraph graph, int begin, int end)
    {
        var arcs = new List<Arc>();
        for (var a = begin; a < end; a++)
        {
            arcs.Add(new Arc(graph.ILabels[a], graph.OLabels[a], graph.Weights[a], graph.NextStates[a]));
        }

        return arcs;
    }

    /// <summary>Every array of the two graphs is the same, bit for bit.</summary>
    public static void AssertSame(WfstGraph expected, WfstGraph actual)
    {
        Assert.Equal(expected.NumStates, actual.NumStates);
        Assert.Equal(expected.Start, actual.Start);
        Assert.Equal(expected.Finals.ToArray(), actual.Finals.ToArray());
        Assert.Equal(expected.EmittingOffsets.ToArray(), actual.EmittingOffsets.ToArray());
        Assert.Equal(expected.NonEmittingOffsets.ToArray(), actual.NonEmittingOffsets.ToArray());
        Assert.Equal(expected.ILabels.ToArray(), actual.ILabels.ToArray());
        Assert.Equal(expected.OLabels.ToArray(), actual.OLabels.ToArray());
        Assert.Equal(expected.Weights.ToArray(), actual.Weights.ToArray());
        Assert.Equal(expected.NextStates.ToArray(), actual.NextStates.ToArray());
    }

    public readonly record struct Arc(int ILabel, int OLabel, float Weight, int NextState);
}
