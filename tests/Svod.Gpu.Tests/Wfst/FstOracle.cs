using System.Globalization;
using System.Text;
using Svod.Gpu.Tests.Ctc;
using Svod.Gpu.Wfst;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>
/// OpenFst's command-line tools (Debian's libfst-tools) as the reference a WFST decoder is checked against: the best
/// and n best paths of (frame acceptor ∘ graph), pruning, shortest distances and sizes, computed by fstcompose,
/// fstshortestpath, fstprune, fstshortestdistance and fstinfo on files in a temp directory of its own. Every tool
/// must exit 0 and print nothing on stderr (an OpenFst warning fails the test). When the tools are missing,
/// <see cref="Missing"/> says so (on CI, constructing it fails instead).
/// </summary>
internal sealed class FstOracle : IDisposable
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(5);

    private readonly string? _compile;
    private readonly string? _arcSort;
    private readonly string? _compose;
    private readonly string? _shortestPath;
    private readonly string? _print;
    private readonly string? _prune;
    private readonly string? _info;
    private readonly string? _shortestDistance;
    private int _files;

    public FstOracle()
    {
        _compile = RequiredTool.Find("fstcompile");
        _arcSort = RequiredTool.Find("fstarcsort");
        _compose = RequiredTool.Find("fstcompose");
        _shortestPath = RequiredTool.Find("fstshortestpath");
        _print = RequiredTool.Find("fstprint");
        _prune = RequiredTool.Find("fstprune");
        _info = RequiredTool.Find("fstinfo");
        _shortestDistance = RequiredTool.Find("fstshortestdistance");
        if (new[] { _compile, _arcSort, _compose, _shortestPath, _print, _prune, _info, _shortestDistance }
            .Any(tool => tool is null))
        {
            Missing = "OpenFst tools (fstcompile, fstarcsort, fstcompose, fstshortestpath, fstprint, fstprune, " +
                "fstinfo, fstshortestdistance) are not installed (apt-get install libfst-tools)";
        }
    }

    /// <summary>Why the tools cannot be used, or null when they can.</summary>
    public string? Missing { get; }

    public TempDirectory Directory { get; } = new();

    /// <summary>A fresh file name in the temp directory.</summary>
    public string NewPath(string extension) =>
        Directory[$"o{Interlocked.Increment(ref _files)}.{extension}"];

    /// <summary>
    /// The linear acceptor of the frames in OpenFst text: states 0..T (T = rows of <paramref name="logProbs"/>,
    /// row-major [T, classes]), for every frame t and class c an arc <c>t t+1 c+1 c+1 cost</c> with
    /// cost = −acousticScale · logProbs[t, c] (as a float, as a decoder computes it), and state T final with weight
    /// 0. Labels are class + 1, the input labels of a decoding graph. Log-probs of −∞ give arcs of cost Infinity.
    /// </summary>
    public static string FrameAcceptorText(ReadOnlySpan<float> logProbs, int classes, float acousticScale)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (logProbs.Length % classes != 0)
        {
            throw new ArgumentException($"{logProbs.Length} log-probs are not rows of {classes} classes",
                nameof(logProbs));
        }

        var rows = logProbs.Length / classes;
        var text = new StringBuilder();
        for (var t = 0; t < rows; t++)
        {
            for (var c = 0; c < classes; c++)
            {
                var cost = -(acousticScale * logProbs[(t * classes) + c]);
                if (float.IsNaN(cost))
                {
                    throw new ArgumentException($"the cost of frame {t}, class {c} is NaN", nameof(logProbs));
                }

                text.Append(CultureInfo.InvariantCulture, $"{t}\t{t + 1}\t{c + 1}\t{c + 1}\t{cost:R}\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"{rows}\t0\n");
        return text.ToString();
    }

    /// <summary>fstcompile --keep_state_numbering of <paramref name="text"/> (numeric labels, standard arcs) into a
    /// new binary VectorFst; returns its path.</summary>
    public string Compile(string text)
    {
        var source = NewPath("txt");
        File.WriteAllText(source, text);
        var binary = NewPath("fst");
        Run(_compile, "--keep_state_numbering", source, binary);
        return binary;
    }

    /// <summary><paramref name="graph"/> as a binary VectorFst (<see cref="WfstGraph.WriteBinary(string)"/>) in a
    /// new file; returns its path.</summary>
    public string WriteBinary(WfstGraph graph)
    {
        var path = NewPath("fst");
        graph.WriteBinary(path);
        return path;
    }

    /// <summary><paramref name="graph"/> as OpenFst text (<see cref="WfstGraph.WriteText"/>) in a new file;
    /// returns its path.</summary>
    public string WriteText(WfstGraph graph)
    {
        var path = NewPath("txt");
        using var writer = new StreamWriter(path);
        graph.WriteText(writer);
        return path;
    }

    /// <summary>fstprint of a binary FST: the start state's lines first, weights with 9 significant digits.</summary>
    public string Print(string fstPath) => Run(_print, fstPath);

    /// <summary>
    /// (frame acceptor ∘ graph), connected, as a new binary file: the acceptor is olabel-sorted first, so the graph
    /// (<paramref name="graphFst"/>, a binary FST whose input labels are class + 1) need not be sorted.
    /// </summary>
    public string Compose(string graphFst, ReadOnlySpan<float> logProbs, int classes, float acousticScale)
    {
        var acceptor = Compile(FrameAcceptorText(logProbs, classes, acousticScale));
        var sorted = NewPath("fst");
        Run(_arcSort, "--sort_type=olabel", acceptor, sorted);
        var composed = NewPath("fst");
        Run(_compose, sorted, graphFst, composed);
        return composed;
    }

    /// <summary>The cheapest path through (frame acceptor ∘ graph) that consumes every frame and ends in a final
    /// state of the graph, or null when there is none.</summary>
    public Hypothesis? BestPath(string graphFst, ReadOnlySpan<float> logProbs, int classes, float acousticScale)
    {
        var best = NewPath("fst");
        Run(_shortestPath, Compose(graphFst, logProbs, classes, acousticScale), best);
        var paths = Paths(Print(best));
        return paths.Count switch
        {
            0 => null,
            1 => paths[0],
            _ => throw new InvalidOperationException($"fstshortestpath gave {paths.Count} paths in {best}"),
        };
    }

    /// <inheritdoc cref="BestPath(string, ReadOnlySpan{float}, int, float)"/>
    public Hypothesis? BestPath(WfstGraph graph, ReadOnlySpan<float> logProbs, int classes, float acousticScale) =>
        BestPath(WriteBinary(graph), logProbs, classes, acousticScale);

    /// <summary>The <paramref name="n"/> cheapest such paths (fewer when there are fewer), cheapest first: every
    /// path of the graph that fits the frames counts, also two with the same labels.</summary>
    public IReadOnlyList<Hypothesis> NBest(string graphFst, ReadOnlySpan<float> logProbs, int classes,
        float acousticScale, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var best = NewPath("fst");
        Run(_shortestPath, $"--nshortest={n}", Compose(graphFst, logProbs, classes, acousticScale), best);
        var paths = Paths(Print(best));
        if (paths.Count > n)
        {
            throw new InvalidOperationException($"fstshortestpath --nshortest={n} gave {paths.Count} paths in {best}");
        }

        return [.. paths.OrderBy(p => p.Cost)];
    }

    /// <inheritdoc cref="NBest(string, ReadOnlySpan{float}, int, float, int)"/>
    public IReadOnlyList<Hypothesis> NBest(WfstGraph graph, ReadOnlySpan<float> logProbs, int classes,
        float acousticScale, int n) =>
        NBest(WriteBinary(graph), logProbs, classes, acousticScale, n);

    /// <summary>fstprune --weight=<paramref name="threshold"/>: a new file keeping only the states and arcs on some
    /// successful path costing at most the best path's cost + threshold (states renumbered).</summary>
    public string Prune(string fstPath, float threshold)
    {
        var pruned = NewPath("fst");
        Run(_prune, string.Create(CultureInfo.InvariantCulture, $"--weight={threshold:R}"), fstPath, pruned);
        return pruned;
    }

    /// <summary>fstinfo's report: "# of states" → "3", "initial state" → "-1", "acceptor" → "n"…</summary>
    public IReadOnlyDictionary<string, string> Info(string fstPath)
    {
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Run(_info, fstPath).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "key  <padding>  value": keys hold single spaces, the value is the last field.
            var gap = line.TrimEnd().LastIndexOfAny([' ', '\t']);
            if (gap > 0)
            {
                info[line[..gap].TrimEnd()] = line[(gap + 1)..].Trim();
            }
        }

        return info;
    }

    public int StateCount(string fstPath) => int.Parse(Info(fstPath)["# of states"], CultureInfo.InvariantCulture);

    public int ArcCount(string fstPath) => int.Parse(Info(fstPath)["# of arcs"], CultureInfo.InvariantCulture);

    /// <summary>
    /// fstshortestdistance: per state, the cost of the cheapest path from the start state (forward) or to a final
    /// state, final weight included (<paramref name="reverse"/>); +∞ where there is none. OpenFst prints only the
    /// states up to the last one it reached (nothing in reverse when no state is final): the rest are +∞ here.
    /// </summary>
    public float[] ShortestDistance(string fstPath, bool reverse)
    {
        var distances = new float[StateCount(fstPath)];
        Array.Fill(distances, float.PositiveInfinity);
        var printed = reverse ? Run(_shortestDistance, "--reverse", fstPath) : Run(_shortestDistance, fstPath);
        foreach (var line in printed.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            distances[int.Parse(fields[0], CultureInfo.InvariantCulture)] = Weight(fields[1]);
        }

        return distances;
    }

    /// <summary>
    /// Every successful path of an acyclic FST as fstprint prints it, walked from the start state (the source of
    /// the first line, not necessarily 0: fstshortestpath numbers its output from the final state back). The labels
    /// of each path are its non-epsilon ones; its cost sums the arc weights and the final weight in double. The
    /// paths of fstshortestpath --nshortest share states (a tree towards the final state, with epsilon arcs that
    /// carry weights), which is why all paths are followed rather than one per state.
    /// </summary>
    public static List<Hypothesis> Paths(string printed)
    {
        var arcs = new Dictionary<int, List<(int Next, int ILabel, int OLabel, float Weight)>>();
        var finals = new Dictionary<int, float>();
        int? start = null;
        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines)
        {
            var f = line.Split('\t');
            var state = int.Parse(f[0], CultureInfo.InvariantCulture);
            start ??= state;
            if (f.Length >= 4)
            {
                if (!arcs.TryGetValue(state, out var list))
                {
                    arcs[state] = list = [];
                }

                list.Add((int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture),
                    int.Parse(f[3], CultureInfo.InvariantCulture), f.Length > 4 ? Weight(f[4]) : 0f));
            }
            else
            {
                finals[state] = f.Length > 1 ? Weight(f[1]) : 0f;
            }
        }

        var paths = new List<Hypothesis>();
        if (start is not null)
        {
            Walk(start.Value, [], [], 0.0, 0);
        }

        return paths;

        void Walk(int state, List<int> ilabels, List<int> olabels, double cost, int depth)
        {
            // A path longer than the file has lines went round a cycle.
            if (depth > lines.Length)
            {
                throw new InvalidOperationException($"the FST has a cycle through state {state}:\n{printed}");
            }

            if (finals.TryGetValue(state, out var final) && !float.IsPositiveInfinity(final))
            {
                paths.Add(new Hypothesis([.. ilabels], [.. olabels], cost + final));
            }

            foreach (var (next, ilabel, olabel, weight) in arcs.GetValueOrDefault(state) ?? [])
            {
                List<int> i = ilabel != 0 ? [.. ilabels, ilabel] : ilabels;
                List<int> o = olabel != 0 ? [.. olabels, olabel] : olabels;
                Walk(next, i, o, cost + weight, depth + 1);
            }
        }
    }

    public void Dispose() => Directory.Dispose();

    /// <summary>fstprint's and fstshortestdistance's weights: 9 significant digits (exact for a float), or
    /// "Infinity".</summary>
    private static float Weight(string text) => float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private string Run(string? tool, params string[] arguments)
    {
        if (tool is null)
        {
            throw new InvalidOperationException(Missing);
        }

        var run = ToolRun.Start(tool, arguments, ToolTimeout);
        var command = $"{Path.GetFileName(tool)} {string.Join(' ', arguments)}";
        Assert.True(run.ExitCode == 0, $"{command} exited {run.ExitCode}\n{run.Stderr}");
        Assert.True(run.Stderr.Length == 0, $"{command} wrote to stderr:\n{run.Stderr}");
        return run.Stdout;
    }

    /// <summary>One path: its non-epsilon input labels (class + 1 per frame, in frame order for a composition with
    /// the frame acceptor), its non-epsilon output labels (the words) and its total cost.</summary>
    public sealed record Hypothesis(int[] ILabels, int[] OLabels, double Cost);
}
