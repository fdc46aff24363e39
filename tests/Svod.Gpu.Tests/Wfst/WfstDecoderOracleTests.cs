using Svod.Gpu.Tests.Ctc;
using Svod.Gpu.Wfst;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>
/// The decoder against OpenFst on random graphs and log-probs: with a beam too wide to prune, its best path is
/// fstshortestpath of (frame acceptor ∘ graph) and its lattice is every path within the lattice beam; with narrower
/// beams it only loses paths.
/// </summary>
public sealed class WfstDecoderOracleTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-3;

    private readonly FstOracle _oracle = new();

    /// <summary>Settings under which nothing is pruned on these small graphs.</summary>
    internal static WfstDecoderOptions Unpruned(float latticeBeam = 4f) => new()
    {
        Beam = 1e4f,
        LatticeBeam = latticeBeam,
        MaxActive = 100_000,
        MainQueueCapacity = 100_000,
        AuxQueueCapacity = 400_000,
    };

    [Fact]
    public void With_a_wide_beam_the_best_path_is_openfst_s_shortest_path_of_frames_composed_with_the_graph()
    {
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        var reached = 0;
        for (var seed = 0; seed < 40; seed++)
        {
            var (text, classes, logProbs, scale) = Case(seed);
            var graph = OpenFstReader.ReadText(new StringReader(text), $"seed {seed}");
            var options = Unpruned();
            options.AcousticScale = scale;
            var decoder = new WfstDecoder(graph, classes, options, numChannels: 1);
            WfstDecoderCtcTests.Feed(decoder, 0, logProbs);
            var path = decoder.GetBestPath(0);
            var expected = _oracle.BestPath(graph, logProbs, classes, scale);

            Assert.True((expected is not null) == path.ReachedFinal, $"seed {seed}: reached final {path.ReachedFinal}");
            if (expected is null)
            {
                continue;
            }

            reached++;
            Assert.True(expected.OLabels.SequenceEqual(path.Words),
                $"seed {seed}: words [{string.Join(' ', path.Words)}], OpenFst [{string.Join(' ', expected.OLabels)}]");
            Assert.Equal(expected.Cost, path.Cost, Tolerance);
            Assert.Equal(decoder.BestCost(0), path.Cost, 9);
        }

        // Most random graphs must have a path, or the test proves little.
        Assert.True(reached >= 20, $"only {reached} of 40 graphs had a path through the frames");
    }

    [Fact]
    public void The_lattice_holds_the_best_path_and_exactly_the_paths_within_the_lattice_beam()
    {
        if (RequiredTool.Skip(_oracle.Missing, output))
        {
            return;
        }

        const float latticeBeam = 2.5f;
        for (var seed = 0; seed < 30; seed++)
        {
            var (text, classes, logProbs, scale) = Case(seed);
            var graph = OpenFstReader.ReadText(new StringReader(text), $"seed {seed}");
            var options = Unpruned(latticeBeam);
            options.AcousticScale = scale;
            var decoder = new WfstDecoder(graph, classes, options, numChannels: 1);
            WfstDecoderCtcTests.Feed(decoder, 0, logProbs);
            var path = decoder.GetBestPath(0);
            if (!path.ReachedFinal)
            {
                continue;
            }

            var lattice = _oracle.WriteBinary(decoder.GetLattice(0));

            // Every arc lies on a path within the beam: fstprune at the lattice beam removes nothing.
            Assert.Equal(_oracle.ArcCount(lattice), _oracle.ArcCount(_oracle.Prune(lattice, latticeBeam + 1e-3f)));

            // Its paths are OpenFst's n best of (frames ∘ graph) up to the beam, the best one first.
            var all = _oracle.NBest(graph, logProbs, classes, scale, 200);
            var within = all.Where(h => h.Cost <= all[0].Cost + latticeBeam - 1e-3).ToList();
            var ours = NBest(lattice, within.Count + 50);
            Assert.Equal(path.Cost, ours[0].Cost, Tolerance);
            Assert.Equal(path.Words, ours[0].OLabels);
            foreach (var expected in within)
            {
                Assert.True(ours.Any(h => Same(h, expected)),
                    $"seed {seed}: OpenFst path [{string.Join(' ', expected.ILabels)}] → " +
                    $"[{string.Join(' ', expected.OLabels)}] cost {expected.Cost} is not in the lattice");
            }
        }
    }

    [Fact]
    public void Narrowing_the_beam_only_removes_paths()
    {
        var checkedBeams = 0;
        for (var seed = 0; seed < 40; seed++)
        {
            var (text, classes, logProbs, scale) = Case(seed);
            var graph = OpenFstReader.ReadText(new StringReader(text), $"seed {seed}");
            var wide = Unpruned(latticeBeam: 1e4f);
            wide.AcousticScale = scale;
            var full = Decode(graph, classes, wide, logProbs);
            var fullArcs = Arcs(full.Lattice);
            Assert.Equal(logProbs.Length / classes, full.Path.Frames);
            foreach (var beam in new[] { 8f, 4f, 2f, 1f, 0.5f })
            {
                var narrow = Unpruned(latticeBeam: 1e4f);
                narrow.Beam = beam;
                narrow.AcousticScale = scale;
                var pruned = Decode(graph, classes, narrow, logProbs);
                if (pruned.Path.ReachedFinal && full.Path.ReachedFinal)
                {
                    Assert.True(pruned.Path.Cost >= full.Path.Cost - Tolerance,
                        $"seed {seed} beam {beam}: found {pruned.Path.Cost}, better than the unpruned {full.Path.Cost}");
                }

                // Every arc on a path the narrow search completed is on a path the wide one completed. (A narrow
                // search can also end early, when its survivors lead nowhere: then it has no complete path.)
                if (pruned.Path.Frames == logProbs.Length / classes)
                {
                    Assert.Subset(fullArcs, Arcs(pruned.Lattice));
                    checkedBeams++;
                }
            }
        }

        Assert.True(checkedBeams >= 100, $"only {checkedBeams} of 200 narrow searches covered every frame");
    }

    public void Dispose() => _oracle.Dispose();

    /// <summary>A random graph, frames and acoustic scale; classes 2..5, frames 1..10.</summary>
    internal static (string Text, int Classes, float[] LogProbs, float Scale) Case(int seed)
    {
        var random = new Random(seed);
        var classes = random.Next(2, 6);
        var text = RandomDecodingGraph.Generate(random, classes);
        var logProbs = WfstDecoderCtcTests.RandomLogProbs(random, random.Next(1, 11), classes);
        var scale = random.NextDouble() < 0.5 ? 1f : (float)(0.3 + random.NextDouble());
        return (text, classes, logProbs, scale);
    }

    private static (WfstPath Path, WfstGraph Lattice) Decode(WfstGraph graph, int classes, WfstDecoderOptions options,
        float[] logProbs)
    {
        var decoder = new WfstDecoder(graph, classes, options, numChannels: 1);
        WfstDecoderCtcTests.Feed(decoder, 0, logProbs);
        return (decoder.GetBestPath(0), decoder.GetLattice(0, useFinalProbs: false));
    }

    /// <summary>A lattice's arcs as (source frame, input label, output label, weight) multiset keys. Lattice state
    /// ids differ between runs, so an arc is named by the labels along the way to it: its depth in frames and its
    /// own labels and weight, which on these graphs tell apart what the subset check needs.</summary>
    private static HashSet<string> Arcs(WfstGraph lattice)
    {
        var keys = new HashSet<string>();
        var depth = new int[lattice.NumStates];
        depth.AsSpan().Fill(-1);
        depth[lattice.Start] = 0;
        // Lattice states are (frame, state) nodes: emitting arcs go one frame on, epsilon arcs stay.
        for (var changed = true; changed;)
        {
            changed = false;
            for (var s = 0; s < lattice.NumStates; s++)
            {
                if (depth[s] < 0)
                {
                    continue;
                }

                foreach (var (begin, end) in new[]
                    {
                        (lattice.EmittingOffsets[s], lattice.EmittingOffsets[s + 1]),
                        (lattice.NonEmittingOffsets[s], lattice.NonEmittingOffsets[s + 1]),
                    })
                {
                    for (var a = begin; a < end; a++)
                    {
                        var d = depth[s] + (lattice.ILabels[a] != 0 ? 1 : 0);
                        var next = lattice.NextStates[a];
                        if (depth[next] < 0)
                        {
                            depth[next] = d;
                            changed = true;
                        }

                        keys.Add($"{depth[s]}:{lattice.ILabels[a]}:{lattice.OLabels[a]}:{lattice.Weights[a]:R}");
                    }
                }
            }
        }

        return keys;
    }

    private List<FstOracle.Hypothesis> NBest(string fst, int n)
    {
        var shortest = _oracle.NewPath("fst");
        ToolRun.Check(RequiredTool.Find("fstshortestpath")!, $"--nshortest={n}", fst, shortest);
        return [.. FstOracle.Paths(_oracle.Print(shortest)).OrderBy(h => h.Cost)];
    }

    private static bool Same(FstOracle.Hypothesis a, FstOracle.Hypothesis b) =>
        a.ILabels.SequenceEqual(b.ILabels) && a.OLabels.SequenceEqual(b.OLabels) && Math.Abs(a.Cost - b.Cost) < Tolerance;
}
