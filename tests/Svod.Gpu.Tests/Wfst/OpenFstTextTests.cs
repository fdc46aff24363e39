using Svod.Gpu.Wfst;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>The text form as fstcompile --keep_state_numbering reads it and fstprint writes it, and the CSR layout
/// it is read into.</summary>
public sealed class OpenFstTextTests
{
    [Fact]
    public void Emitting_arcs_of_every_state_come_first_then_the_epsilon_arcs_each_in_file_order()
    {
        var graph = Parse("""
            0	1	0	7	0.5
            0	2	3	4
            1	2	5	0	1.25
            0	0	6	6	-1
            1	0	0	0
            0	2	0	0	2
            2	0.75
            """);

        Assert.Equal(3, graph.NumStates);
        Assert.Equal(6, graph.NumArcs);
        Assert.Equal(3, graph.NumEmittingArcs);
        Assert.Equal(3, graph.NumNonEmittingArcs);
        Assert.Equal([0, 2, 3, 3], graph.EmittingOffsets.ToArray());
        Assert.Equal([3, 5, 6, 6], graph.NonEmittingOffsets.ToArray());
        Assert.Equal([3, 6, 5, 0, 0, 0], graph.ILabels.ToArray());
        Assert.Equal([4, 6, 0, 7, 0, 0], graph.OLabels.ToArray());
        Assert.Equal([0f, -1f, 1.25f, 0.5f, 2f, 0f], graph.Weights.ToArray());
        Assert.Equal([2, 0, 2, 1, 2, 0], graph.NextStates.ToArray());
        Assert.Equal([float.PositiveInfinity, float.PositiveInfinity, 0.75f], graph.Finals.ToArray());
    }

    [Fact]
    public void States_keep_their_ids_the_first_line_names_the_start_and_the_last_final_line_counts()
    {
        var graph = Parse("3 1 3 4\n1 0.5\n1\t0.25\n\n5 Infinity\n2 inf\n");

        Assert.Equal(6, graph.NumStates);
        Assert.Equal(3, graph.Start);
        Assert.Equal(
            [float.PositiveInfinity, 0.25f, float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity,
                float.PositiveInfinity],
            graph.Finals.ToArray());
        Assert.Equal([0, 0, 0, 0, 1, 1, 1], graph.EmittingOffsets.ToArray());
    }

    [Fact]
    public void An_empty_text_is_an_fst_without_states_and_writes_nothing()
    {
        var graph = Parse("\n  \n");

        Assert.Equal(0, graph.NumStates);
        Assert.Equal(-1, graph.Start);
        Assert.Equal(0, graph.NumArcs);
        Assert.Equal([0], graph.EmittingOffsets.ToArray());
        Assert.Equal("", Write(graph));
    }

    [Fact]
    public void Text_is_written_as_fstprint_writes_it()
    {
        var graph = Parse("2 0 0 5 0.1\n2 1 4 4\n0 1 7 0 Infinity\n1 -0.5\n");

        Assert.Equal("2\t1\t4\t4\n2\t0\t0\t5\t0.1\n0\t1\t7\t0\tInfinity\n1\t-0.5\n", Write(graph));
    }

    [Fact]
    public void Random_graphs_round_trip_through_our_text()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var expected = RandomFst.Generate(new Random(seed));
            var graph = Parse(expected.Text);
            expected.AssertMatches(graph);
            RandomFst.AssertSame(graph, Parse(Write(graph)));
        }
    }

    [Theory]
    [InlineData("0 1 2\n", 1, "expected 'src dst ilabel olabel [weight]' or 'state [weight]', found 3 fields")]
    [InlineData("0 1 2 3 4 5\n", 1, "found more than 5 fields")]
    [InlineData("0\n0 1 a 3\n", 2, "bad input label 'a'")]
    [InlineData("0\n\n0 1 2 -3\n", 3, "bad output label '-3'")]
    [InlineData("0 1 2 3 x\n", 1, "bad weight 'x'")]
    [InlineData("0 1 2 3\n1 1.5.2\n", 2, "bad weight '1.5.2'")]
    [InlineData("-1 0 2 3\n", 1, "bad state id '-1'")]
    [InlineData("0 1 2 3\n1 s 2 3\n", 2, "bad state id 's'")]
    public void Malformed_lines_are_refused_naming_the_line(string text, int line, string message)
    {
        var e = Assert.Throws<FstFormatException>(() => Parse(text));
        Assert.StartsWith($"test.txt:{line}: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    private static WfstGraph Parse(string text) => OpenFstReader.ReadText(new StringReader(text), "test.txt");

    private static string Write(WfstGraph graph)
    {
        var writer = new StringWriter { NewLine = "\n" };
        graph.WriteText(writer);
        return writer.ToString();
    }
}
