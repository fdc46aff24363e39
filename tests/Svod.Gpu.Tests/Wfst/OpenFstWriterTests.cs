using System.Globalization;
using System.Text;
using Svod.Gpu.Tests.Ctc;
using Svod.Gpu.Wfst;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>The binary writer against OpenFst's own tools: what we write, fstprint and fstinfo read without a word
/// on stderr as the FST fstcompile wrote, and our reader reads back to the same arrays.</summary>
public sealed class OpenFstWriterTests(OpenFstTools fst, ITestOutputHelper output) : IClassFixture<OpenFstTools>,
    IDisposable
{
    private const int Seeds = 40;

    /// <summary>Where the header's properties and arc count lie: after the magic, "vector", "standard", version
    /// and flags; the arc count after the properties, start and state count.</summary>
    private const int PropertiesAt = 4 + (4 + 6) + (4 + 8) + 4 + 4;

    private const int NumArcsAt = PropertiesAt + 8 + 8 + 8;

    private readonly FstOracle _oracle = new();

    private string? Missing => fst.Missing ?? _oracle.Missing;

    [Fact]
    public void Random_graphs_we_write_print_as_fstcompile_s_file_and_read_back_to_the_same_arrays()
    {
        if (RequiredTool.Skip(Missing, output))
        {
            return;
        }

        for (var seed = 300; seed < 300 + Seeds; seed++)
        {
            var theirs = fst.Compile(RandomFst.Generate(new Random(seed)).Text);
            var graph = WfstGraph.Load(theirs);
            var ours = fst.NewPath("fst");
            graph.WriteBinary(ours);

            // Within a state we write emitting arcs first, fstcompile keeps the text's order: the same lines, and
            // the start state's first.
            var printed = _oracle.Print(ours);
            var expected = fst.Print(theirs);
            Assert.Equal(Lines(expected), Lines(printed));
            Assert.Equal(expected.Split('\t', '\n')[0], printed.Split('\t', '\n')[0]);

            var info = _oracle.Info(ours);
            var theirInfo = _oracle.Info(theirs);
            Assert.Equal(theirInfo["# of states"], info["# of states"]);
            Assert.Equal(theirInfo["# of arcs"], info["# of arcs"]);
            Assert.Equal(theirInfo["initial state"], info["initial state"]);
            Assert.Equal(graph.NumStates, _oracle.StateCount(ours));
            Assert.Equal(graph.NumArcs, _oracle.ArcCount(ours));

            RandomFst.AssertSame(graph, WfstGraph.Load(ours));
        }
    }

    [Fact]
    public void With_emitting_arcs_first_our_file_is_fstcompile_s_byte_for_byte_but_for_properties_and_arc_count()
    {
        if (RequiredTool.Skip(Missing, output))
        {
            return;
        }

        for (var seed = 400; seed < 400 + Seeds; seed++)
        {
            // Compiled from our own text, fstcompile's file has the arcs of each state in our order.
            var graph = WfstGraph.Load(fst.Compile(RandomFst.Generate(new Random(seed)).Text));
            var theirs = File.ReadAllBytes(fst.Compile(Text(graph)));
            var ours = Bytes(graph);

            Assert.Equal(0x3UL, BitConverter.ToUInt64(ours, PropertiesAt)); // kExpanded | kMutable
            Assert.Equal(graph.NumArcs, BitConverter.ToInt64(ours, NumArcsAt));
            Assert.Equal(WithoutPropertiesAndArcCount(theirs), WithoutPropertiesAndArcCount(ours));
        }
    }

    [Fact]
    public void A_graph_larger_than_the_write_buffer_is_written_whole_to_a_file_or_a_stream_left_open()
    {
        if (RequiredTool.Skip(Missing, output))
        {
            return;
        }

        // About 30,000 arcs (480 KB): state and arc records straddle many flushes of the 64 KiB buffer.
        var random = new Random(12);
        var text = new StringBuilder();
        const int states = 3000;
        for (var s = 0; s < states; s++)
        {
            for (var a = random.Next(0, 20); a > 0; a--)
            {
                var ilabel = random.Next(4) == 0 ? 0 : random.Next(1, 500);
                text.Append(CultureInfo.InvariantCulture,
                    $"{s}\t{random.Next(states)}\t{ilabel}\t{random.Next(0, 1000)}\t{random.NextSingle() * 10:R}\n");
            }

            if (random.Next(3) == 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{s}\t{random.NextSingle():R}\n");
            }
        }

        var graph = WfstGraph.Load(fst.Compile(text.ToString()));
        var theirs = File.ReadAllBytes(fst.Compile(Text(graph)));
        var path = fst.NewPath("fst");
        graph.WriteBinary(path);
        using var stream = new MemoryStream();
        graph.WriteBinary(stream);
        stream.WriteByte(42); // still open

        Assert.True(File.ReadAllBytes(path).Length > 1 << 18);
        Assert.Equal(File.ReadAllBytes(path), stream.ToArray()[..^1]);
        Assert.Equal(WithoutPropertiesAndArcCount(theirs), WithoutPropertiesAndArcCount(File.ReadAllBytes(path)));
        Assert.Equal(graph.NumArcs, _oracle.ArcCount(path));
        RandomFst.AssertSame(graph, WfstGraph.Load(path));
        output.WriteLine($"{graph.NumStates} states, {graph.NumArcs} arcs, {stream.Length - 1} bytes");
    }

    [Fact]
    public void An_empty_graph_is_written_as_fstcompile_writes_an_empty_text()
    {
        if (RequiredTool.Skip(Missing, output))
        {
            return;
        }

        var theirs = fst.Compile("");
        var graph = WfstGraph.Load(theirs);
        Assert.Equal(-1, graph.Start);
        var ours = fst.NewPath("fst");
        graph.WriteBinary(ours);

        Assert.Equal(WithoutPropertiesAndArcCount(File.ReadAllBytes(theirs)),
            WithoutPropertiesAndArcCount(File.ReadAllBytes(ours)));
        Assert.Equal("", _oracle.Print(ours));
        Assert.Equal("-1", _oracle.Info(ours)["initial state"]);
        Assert.Equal(0, _oracle.StateCount(ours));
        RandomFst.AssertSame(graph, WfstGraph.Load(ours));
    }

    [Fact]
    public void A_graph_with_states_but_no_start_keeps_them_and_is_written_with_start_minus_one()
    {
        if (RequiredTool.Skip(Missing, output))
        {
            return;
        }

        var bytes = File.ReadAllBytes(fst.Compile("0\t1\t3\t4\t0.5\n1\t0\t0\t2\n1\t1.5\n"));
        const int startAt = PropertiesAt + 8;
        BitConverter.TryWriteBytes(bytes.AsSpan(startAt), -1L);
        var noStart = fst.NewPath("fst");
        File.WriteAllBytes(noStart, bytes);
        var graph = WfstGraph.Load(noStart);
        Assert.Equal(-1, graph.Start);
        Assert.Equal(2, graph.NumStates);
        var ours = fst.NewPath("fst");
        graph.WriteBinary(ours);

        Assert.Equal(WithoutPropertiesAndArcCount(bytes), WithoutPropertiesAndArcCount(File.ReadAllBytes(ours)));
        RandomFst.AssertSame(graph, WfstGraph.Load(ours));
        // OpenFst has little use for such an FST, its own as ours: fstprint prints nothing (no start, no path),
        // fstinfo refuses it as not well-formed.
        Assert.Equal("", _oracle.Print(ours));
        var info = ToolRun.Start(RequiredTool.Find("fstinfo")!, [ours], TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, info.ExitCode);
        Assert.Contains("start state ID not set", info.Stderr);
    }

    public void Dispose() => _oracle.Dispose();

    private static string Text(WfstGraph graph)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        graph.WriteText(writer);
        return writer.ToString();
    }

    private static byte[] Bytes(WfstGraph graph)
    {
        using var stream = new MemoryStream();
        graph.WriteBinary(stream);
        return stream.ToArray();
    }

    /// <summary>The file with the two header fields that may differ zeroed: OpenFst writes the properties it
    /// computed and (1.7.9's VectorFst) an arc count of 0.</summary>
    private static byte[] WithoutPropertiesAndArcCount(byte[] bytes)
    {
        var copy = bytes.ToArray();
        copy.AsSpan(PropertiesAt, 8).Clear();
        copy.AsSpan(NumArcsAt, 8).Clear();
        return copy;
    }

    /// <summary>fstprint's lines as a sorted multiset: both files print weights with the same 9 digits.</summary>
    private static List<string> Lines(string printed) =>
        [.. printed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
}
