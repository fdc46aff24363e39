using System.Globalization;
using Svod.Gpu.Wfst;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>The binary reader against OpenFst's own tools: what fstcompile/fstconvert write, we read as the text
/// they were compiled from; what we write as text, fstprint writes too.</summary>
public sealed class OpenFstBinaryTests(OpenFstTools fst, ITestOutputHelper output) : IClassFixture<OpenFstTools>
{
    private const int Seeds = 15;

    [Fact]
    public void Random_vector_fsts_read_as_the_text_they_were_compiled_from()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        for (var seed = 0; seed < Seeds; seed++)
        {
            var expected = RandomFst.Generate(new Random(seed));
            var fromText = OpenFstReader.ReadText(new StringReader(expected.Text), $"seed {seed}");
            expected.AssertMatches(fromText);

            var binary = fst.Compile(expected.Text);
            var fromBinary = OpenFstReader.ReadBinary(binary);
            expected.AssertMatches(fromBinary);
            RandomFst.AssertSame(fromText, fromBinary);
            RandomFst.AssertSame(fromText, WfstGraph.Load(binary));

            var textFile = fst.NewPath("txt");
            File.WriteAllText(textFile, expected.Text);
            RandomFst.AssertSame(fromText, WfstGraph.Load(textFile));
        }
    }

    [Fact]
    public void Const_fsts_aligned_or_not_read_as_the_vector_they_were_converted_from()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        for (var seed = 100; seed < 100 + Seeds; seed++)
        {
            var expected = RandomFst.Generate(new Random(seed));
            var vector = fst.Compile(expected.Text);
            var fromVector = OpenFstReader.ReadBinary(vector);
            foreach (var options in new[] { new[] { "--fst_type=const" }, ["--fst_type=const", "--fst_align"] })
            {
                var constFst = fst.Convert(vector, options);
                var graph = WfstGraph.Load(constFst);
                expected.AssertMatches(graph);
                RandomFst.AssertSame(fromVector, graph);
            }
        }
    }

    [Fact]
    public void Embedded_symbol_tables_are_skipped_and_labels_are_the_tables_ids()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        // Ids skip, and one symbol is not used by any arc.
        var words = fst.NewPath("syms");
        File.WriteAllText(words, "<eps>\t0\n" +
            string.Concat(Enumerable.Range(1, 20).Select(i => $"w{i} {i}\n")) + "unused 1000\n");
        var table = SymbolTable.Load(words);
        var expected = RandomFst.Generate(new Random(7), label => table.Find(label)!);
        var options = new[] { $"--isymbols={words}", $"--osymbols={words}", "--keep_isymbols", "--keep_osymbols" };
        var vector = fst.Compile(expected.Text, options);
        expected.AssertMatches(WfstGraph.Load(vector));
        expected.AssertMatches(WfstGraph.Load(fst.Convert(vector, "--fst_type=const", "--fst_align")));
    }

    [Fact]
    public void Our_text_is_what_fstprint_writes_and_compiles_back_to_the_same_graph()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        for (var seed = 200; seed < 200 + Seeds; seed++)
        {
            var binary = fst.Compile(RandomFst.Generate(new Random(seed)).Text);
            var graph = WfstGraph.Load(binary);
            var writer = new StringWriter { NewLine = "\n" };
            graph.WriteText(writer);
            var ours = writer.ToString();
            var theirs = fst.Print(binary);
            // fstprint keeps the file's arc order, we write emitting arcs first: the same lines, start state first.
            Assert.Equal(Normalise(theirs), Normalise(ours));
            Assert.Equal(theirs.Split('\t', '\n')[0], ours.Split('\t', '\n')[0]);

            RandomFst.AssertSame(graph, WfstGraph.Load(fst.Compile(ours)));
        }
    }

    [Fact]
    public void A_vector_fst_without_a_state_count_is_read_to_the_end_of_the_file()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        var expected = RandomFst.Generate(new Random(11));
        var bytes = File.ReadAllBytes(fst.Compile(expected.Text));
        // OpenFst writes -1 when it cannot count the states up front; the count follows magic, "vector",
        // "standard", version, flags, properties and start.
        const int numStatesAt = 4 + (4 + 6) + (4 + 8) + 4 + 4 + 8 + 8;
        Assert.Equal(expected.NumStates, BitConverter.ToInt64(bytes, numStatesAt));
        BitConverter.TryWriteBytes(bytes.AsSpan(numStatesAt), -1L);
        var path = fst.NewPath("fst");
        File.WriteAllBytes(path, bytes);

        expected.AssertMatches(WfstGraph.Load(path));
    }

    [Fact]
    public void A_log_arc_fst_is_refused_naming_its_arc_type()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        var text = RandomFst.Generate(new Random(3)).Text;
        var log = fst.Compile(text, "--arc_type=log");
        var e = Assert.Throws<FstFormatException>(() => WfstGraph.Load(log));
        Assert.StartsWith(log + ": ", e.Message);
        Assert.Contains("arc type 'log' is not supported: expected 'standard'", e.Message);

        var logConst = fst.Convert(log, "--fst_type=const");
        e = Assert.Throws<FstFormatException>(() => OpenFstReader.ReadBinary(logConst));
        Assert.Contains("arc type 'log'", e.Message);
    }

    [Fact]
    public void An_unknown_fst_type_is_refused_naming_it()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        var bytes = File.ReadAllBytes(fst.Compile(RandomFst.Generate(new Random(4)).Text));
        bytes[8 + "vecto".Length] = (byte)'z'; // the type string follows the magic and its int32 length
        var path = fst.NewPath("fst");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<FstFormatException>(() => WfstGraph.Load(path));
        Assert.Contains("FST type 'vectoz' is not supported: expected 'vector' or 'const'", e.Message);
    }

    [Fact]
    public void Every_truncation_is_refused_with_the_byte_where_the_data_ends()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        var vector = fst.Compile(RandomFst.Generate(new Random(5)).Text);
        var aligned = fst.Convert(vector, "--fst_type=const", "--fst_align");
        var withSymbols = fst.NewPath("syms");
        File.WriteAllText(withSymbols, string.Concat(Enumerable.Range(0, 21).Select(i => $"s{i}\t{i}\n")));
        var symbolic = fst.Compile(RandomFst.Generate(new Random(6), l => $"s{l}").Text,
            $"--isymbols={withSymbols}", $"--osymbols={withSymbols}", "--keep_isymbols", "--keep_osymbols");
        foreach (var file in new[] { vector, aligned, symbolic })
        {
            var bytes = File.ReadAllBytes(file);
            var cut = fst.NewPath("fst");
            for (var length = 0; length < bytes.Length; length++)
            {
                File.WriteAllBytes(cut, bytes[..length]);
                var e = Assert.Throws<FstFormatException>(() => OpenFstReader.ReadBinary(cut));
                Assert.StartsWith(cut + ": ", e.Message);
                Assert.Contains($"truncated at byte {length}:", e.Message);
            }
        }
    }

    [Fact]
    public void Garbage_is_refused_as_not_an_OpenFst_file_with_the_magic_found()
    {
        var random = new Random(8);
        var bytes = new byte[300];
        random.NextBytes(bytes);
        bytes[0] = 0xFF;
        using var dir = new TempDirectory();
        var path = dir["garbage.fst"];
        File.WriteAllBytes(path, bytes);
        var magic = BitConverter.ToInt32(bytes).ToString("X8", CultureInfo.InvariantCulture);

        foreach (var read in new Func<string, WfstGraph>[] { WfstGraph.Load, OpenFstReader.ReadBinary })
        {
            var e = Assert.Throws<FstFormatException>(() => read(path));
            Assert.Equal($"{path}: not an OpenFst binary file (magic 0x{magic}, expected 0x7EB2FDD6)", e.Message);
        }

        File.WriteAllBytes(path, [0x7E, 0xB2, 0xFD, 0xD6, 0, 0, 0, 6]);
        Assert.Contains("big-endian", Assert.Throws<FstFormatException>(() => WfstGraph.Load(path)).Message);
        Assert.Contains("file not found",
            Assert.Throws<FstFormatException>(() => WfstGraph.Load(dir["missing.fst"])).Message);
    }

    [Fact]
    public void An_arc_to_a_state_outside_the_fst_is_refused_with_its_byte()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        var path = fst.Compile("0\t1\t3\t4\t0.5\n1\n");
        var bytes = File.ReadAllBytes(path);
        // The only arc is the last 16 bytes before state 1's final weight and arc count (12 bytes).
        var arcAt = bytes.Length - 12 - 16;
        BitConverter.TryWriteBytes(bytes.AsSpan(arcAt + 12), 1000);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<FstFormatException>(() => WfstGraph.Load(path));
        Assert.Contains($"the arc at byte {arcAt} of state 0 goes to state 1000, outside the 2 states", e.Message);
    }

    [Fact]
    public void Corrupted_files_are_read_or_refused_never_crash_the_reader()
    {
        if (RequiredTool.Skip(fst.Missing, output))
        {
            return;
        }

        var vector = fst.Compile(RandomFst.Generate(new Random(9)).Text);
        var sources = new[] { vector, fst.Convert(vector, "--fst_type=const", "--fst_align") };
        var random = new Random(10);
        var path = fst.NewPath("fst");
        var refused = 0;
        for (var i = 0; i < 400; i++)
        {
            var bytes = File.ReadAllBytes(sources[i % 2]);
            for (var k = random.Next(1, 4); k > 0; k--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            File.WriteAllBytes(path, bytes);
            try
            {
                OpenFstReader.ReadBinary(path);
            }
            catch (FstFormatException)
            {
                refused++;
            }
        }

        output.WriteLine($"{refused} of 400 corrupted files refused, the others read");
        Assert.True(refused > 0);
    }

    /// <summary>Lines sorted, fields split on whitespace, weights as the float they denote.</summary>
    private static List<string> Normalise(string text) =>
    [
        .. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', ' '))
            .Select(f => string.Join(' ', f.Select((field, i) =>
                i == (f.Length is 2 ? 1 : 4) ? ((float)double.Parse(field, CultureInfo.InvariantCulture))
                    .ToString("R", CultureInfo.InvariantCulture) : field)))
            .Order(StringComparer.Ordinal),
    ];
}
