using System.Globalization;
using System.Text.Json;
using Svod.Gpu.Ctc;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;

namespace Svod.IntegrationTests;

/// <summary>
/// <c>svod decode</c> on CTC models end to end: greedy decoding through a hand-made head whose outputs are known,
/// log-probs given as they are, the WFST search against the CTC topology T alone (which must find greedy CTC's
/// path), lattices OpenFst reads, batching, and what bad input gets.
/// </summary>
public sealed class CtcDecodeCommandTests(ITestOutputHelper output)
{
    // Four characters and the blank, the last class as in GigaAM. The head's width equals the classes so that the
    // encoder frame a·one-hot(k) has class k as its clear argmax.
    private const int Classes = 5;
    private const int Blank = Classes - 1;
    private const int Width = Classes;

    // Logit gap of a one-hot frame before the bias: large enough that the bias never moves the argmax, small
    // enough that the winner's log-prob is far from 0 and the cost is not trivially zero.
    private const float Scale = 3f;

    private static readonly string[] Vocabulary = ["h", "i", " ", "o"];
    private static readonly float[] Bias = [0.25f, -0.5f, 0.1f, 0f, 0.4f];

    // h h ∅ i ∅ i ␣ h o o ∅: a repeat collapsed, "i ∅ i" kept twice, a trailing blank dropped.
    private static readonly int[] FrameClasses = [0, 0, Blank, 1, Blank, 1, 2, 0, 3, 3, Blank];
    private static readonly int[] ExpectedTokens = [0, 1, 1, 2, 0, 3];
    private static readonly int[] ExpectedFrames = [0, 3, 5, 6, 7, 8];
    private const string ExpectedText = "hii ho";

    // Lengths on both sides of the default 64 frames per call, so channels finish in a different order than
    // they started when several decode together.
    private static readonly int[] Lengths = [1, 9, 150, 40, 70, 3, 131, 200];

    [Fact]
    public async Task A_hand_made_CTC_head_decodes_its_frames_greedily_with_the_expected_text_and_cost()
    {
        using var dir = new TempDirectory();
        WriteModel(dir["model"]);
        var frames = EncoderFrames(FrameClasses);
        Directory.CreateDirectory(dir["frames"]);
        Npy.WriteFrames(dir["frames/utt.npy"], frames, FrameClasses.Length, Width);

        var run = await ProcessRun.SvodAsync("decode", "--model", dir["model"], "--frames", dir["frames"], "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var line = JsonDocument.Parse(run.Stdout.Trim()).RootElement;
        Assert.Equal("utt", line.GetProperty("utterance").GetString());
        Assert.Equal(ExpectedText, line.GetProperty("text").GetString());
        Assert.Equal(ExpectedTokens, Ints(line, "tokens"));
        Assert.Equal(ExpectedFrames, Ints(line, "frames"));
        Assert.Equal(GreedyCost(HeadLogProbs(frames), Classes), line.GetProperty("cost").GetDouble(), 1e-3);
        Assert.Contains("\"frames\":11", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_probs_given_as_they_are_decode_to_the_same_line_as_the_frames_they_come_from()
    {
        using var dir = new TempDirectory();
        WriteModel(dir["model"]);
        var frames = EncoderFrames(FrameClasses);
        Directory.CreateDirectory(dir["frames"]);
        Directory.CreateDirectory(dir["logprobs"]);
        Npy.WriteFrames(dir["frames/utt.npy"], frames, FrameClasses.Length, Width);
        Npy.WriteFrames(dir["logprobs/utt.npy"], HeadLogProbs(frames), FrameClasses.Length, Classes);

        var fromFrames = await ProcessRun.SvodAsync("decode", "--model", dir["model"], "--frames", dir["frames"],
            "--json");
        var fromLogProbs = await ProcessRun.SvodAsync("decode", "--model", dir["model"], "--log-probs", "--frames",
            dir["logprobs"], "--json");
        Assert.True(fromFrames.ExitCode == 0, fromFrames.ToString());
        Assert.True(fromLogProbs.ExitCode == 0, fromLogProbs.ToString());
        var expected = JsonDocument.Parse(fromFrames.Stdout.Trim()).RootElement;
        var actual = JsonDocument.Parse(fromLogProbs.Stdout.Trim()).RootElement;
        foreach (var key in new[] { "utterance", "text", "tokens", "frames" })
        {
            Assert.Equal(expected.GetProperty(key).GetRawText(), actual.GetProperty(key).GetRawText());
        }

        // The head's log_softmax here and in the test differ in the last float bits, not in the fourth decimal.
        Assert.Equal(expected.GetProperty("cost").GetDouble(), actual.GetProperty("cost").GetDouble(), 1e-3);
    }

    [Fact]
    public async Task Searching_the_CTC_topology_alone_finds_the_greedy_path_with_and_without_a_word_table()
    {
        using var dir = new TempDirectory();
        var topology = await CompileTopologyAsync(dir);
        if (RequiredTool.Skip(topology is null ? OpenFstMissing : null, output))
        {
            return;
        }

        WriteModel(dir["model"]);
        WriteRandomLogProbs(dir["lp"], seed: 5);
        // Symbols for word ids 1..4 (class + 1); the blank's id never comes out of T.
        string[] symbols = ["h", "i", "_", "o"];
        await File.WriteAllLinesAsync(dir["words.txt"],
            ["<eps> 0", .. symbols.Select((s, i) => $"{s} {i + 1}")]);

        var greedy = await ProcessRun.SvodAsync("decode", "--model", dir["model"], "--log-probs", "--frames",
            dir["lp"], "--json");
        var search = await ProcessRun.SvodAsync("decode", "--graph", topology!, "--log-probs", "--frames", dir["lp"],
            "--json");
        var named = await ProcessRun.SvodAsync("decode", "--graph", topology!, "--words", dir["words.txt"],
            "--log-probs", "--frames", dir["lp"], "--json");
        foreach (var run in new[] { greedy, search, named })
        {
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        var greedyLines = Lines(greedy.Stdout);
        var searchLines = Lines(search.Stdout);
        var namedLines = Lines(named.Stdout);
        Assert.Equal(Lengths.Length, greedyLines.Count);
        foreach (var (name, expected) in greedyLines)
        {
            var tokens = Ints(expected, "tokens");
            var words = tokens.Select(t => t + 1).ToArray();
            foreach (var actual in new[] { searchLines[name], namedLines[name] })
            {
                Assert.Equal(words, Ints(actual, "tokens"));
                Assert.Equal(Ints(expected, "frames"), Ints(actual, "frames"));
                Assert.True(actual.GetProperty("reached_final").GetBoolean(), $"{name} did not reach a final state");
                // T's weights are all zero, so the best path costs what the greedy one does.
                Assert.Equal(expected.GetProperty("cost").GetDouble(), actual.GetProperty("cost").GetDouble(), 1e-3);
            }

            Assert.Equal(string.Join(' ', words.Select(w => w.ToString(CultureInfo.InvariantCulture))),
                searchLines[name].GetProperty("text").GetString());
            Assert.Equal(string.Join(' ', tokens.Select(t => symbols[t])), namedLines[name].GetProperty("text")
                .GetString());
        }
    }

    [Fact]
    public async Task Each_lattice_is_written_in_both_forms_and_its_shortest_path_is_the_decoded_one()
    {
        using var dir = new TempDirectory();
        var topology = await CompileTopologyAsync(dir);
        string? print = RequiredTool.Find("fstprint"), shortest = RequiredTool.Find("fstshortestpath"),
            info = RequiredTool.Find("fstinfo"), compile = RequiredTool.Find("fstcompile");
        if (RequiredTool.Skip(topology is null || print is null || shortest is null || info is null || compile is null
                ? OpenFstMissing : null, output))
        {
            return;
        }

        WriteRandomLogProbs(dir["lp"], seed: 11);
        var run = await ProcessRun.SvodAsync("decode", "--graph", topology!, "--log-probs", "--frames", dir["lp"],
            "--lattice-out", dir["lat"], "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var (name, line) in Lines(run.Stdout))
        {
            var binary = dir[$"lat/{name}.lat.fst"];
            var text = dir[$"lat/{name}.lat.txt"];
            Assert.True(File.Exists(binary), $"{binary} was not written");
            Assert.True(File.Exists(text), $"{text} was not written");
            await ToolAsync(print!, binary);

            // The text form compiles to the same FST as the binary one.
            await ToolAsync(compile!, text, dir[$"{name}.compiled.fst"]);
            Assert.Equal(Counts(await ToolAsync(info!, binary)),
                Counts(await ToolAsync(info!, dir[$"{name}.compiled.fst"])));

            await ToolAsync(shortest!, binary, dir[$"{name}.best.fst"]);
            var (labels, cost) = LinearPath(await ToolAsync(print!, dir[$"{name}.best.fst"]));
            Assert.Equal(Ints(line, "tokens"), labels);
            Assert.Equal(line.GetProperty("cost").GetDouble(), cost, 1e-2);
            output.WriteLine($"{name}: {labels.Length} words, lattice best path cost {cost:F4}");
        }
    }

    [Fact]
    public async Task Batch_sizes_and_frames_per_call_do_not_change_the_search_output()
    {
        using var dir = new TempDirectory();
        var topology = await CompileTopologyAsync(dir);
        if (RequiredTool.Skip(topology is null ? OpenFstMissing : null, output))
        {
            return;
        }

        WriteRandomLogProbs(dir["lp"], seed: 23);
        string[] common = ["decode", "--graph", topology!, "--log-probs", "--frames", dir["lp"], "--json"];
        var one = await ProcessRun.SvodAsync([.. common, "--batch", "1"]);
        var four = await ProcessRun.SvodAsync([.. common, "--batch", "4"]);
        var chunked = await ProcessRun.SvodAsync([.. common, "--batch", "4", "-D", "svod.lanes.max-frames-per-call=7"]);
        foreach (var run in new[] { one, four, chunked })
        {
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        var lines = one.Stdout.Trim().Split('\n');
        Assert.Equal(Lengths.Length, lines.Length);
        // The same lines first, then the same order: the input order, as every other decode mode prints it.
        Assert.Equal(lines.Order(StringComparer.Ordinal), four.Stdout.Trim().Split('\n').Order(StringComparer.Ordinal));
        Assert.Equal(lines.Order(StringComparer.Ordinal),
            chunked.Stdout.Trim().Split('\n').Order(StringComparer.Ordinal));
        Assert.Equal(one.Stdout, four.Stdout);
        Assert.Equal(one.Stdout, chunked.Stdout);
    }

    [Fact]
    public async Task A_graph_that_does_not_exist_is_one_line_naming_it()
    {
        using var dir = new TempDirectory();
        WriteRandomLogProbs(dir["lp"], seed: 1);
        var run = await ProcessRun.SvodAsync("decode", "--graph", dir["no-such.fst"], "--log-probs", "--frames",
            dir["lp"]);
        AssertRefused(run, 2);
        Assert.Contains(dir["no-such.fst"], run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_graph_reading_a_class_the_log_probs_do_not_have_is_refused_naming_the_label()
    {
        using var dir = new TempDirectory();
        WriteRandomLogProbs(dir["lp"], seed: 2);
        await File.WriteAllTextAsync(dir["bad.txt"], "0 1 1 1 0\n1 1 99 2 0\n1 0\n");
        var run = await ProcessRun.SvodAsync("decode", "--graph", dir["bad.txt"], "--log-probs", "--frames",
            dir["lp"]);
        AssertRefused(run, 2);
        Assert.Contains("input label 99", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(dir["bad.txt"], run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        // A message for the user, not an ArgumentException's: no C# parameter name appended.
        Assert.DoesNotContain("(Parameter", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lattice without graph", "--lattice-out", "--graph")]
    [InlineData("log-probs alone", "--model", "--graph")]
    [InlineData("negative beam", "beam", "-1")]
    [InlineData("cuda", "--backend cuda", "CPU")]
    public async Task Options_that_cannot_work_together_or_out_of_range_are_one_line_usage_errors(string what,
        string named, string alsoNamed)
    {
        using var dir = new TempDirectory();
        WriteModel(dir["model"]);
        WriteTopologyText(dir["T.txt"]);
        WriteRandomLogProbs(dir["lp"], seed: 3);
        string[] arguments = what switch
        {
            "lattice without graph" => ["--model", dir["model"], "--lattice-out", dir["lat"]],
            "log-probs alone" => ["--log-probs"],
            "cuda" => ["--graph", dir["T.txt"], "--log-probs", "--backend", "cuda"],
            _ => ["--graph", dir["T.txt"], "--log-probs", "--beam", "-1"],
        };
        var run = await ProcessRun.SvodAsync(["decode", "--frames", dir["lp"], .. arguments]);
        AssertRefused(run, 2);
        Assert.Contains(named, run.Stderr, StringComparison.Ordinal);
        Assert.Contains(alsoNamed, run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir["lat"]), "a refused run created the lattice directory");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_NaN_log_prob_is_reported_with_file_and_frame_and_the_other_files_still_decoded(bool graph)
    {
        using var dir = new TempDirectory();
        WriteModel(dir["model"]);
        WriteTopologyText(dir["T.txt"]);
        WriteRandomLogProbs(dir["lp"], seed: 4);
        var bad = PeakedLogProbs(new Random(9), 6);
        bad[(4 * Classes) + 2] = float.NaN;
        Npy.WriteFrames(dir["lp/b-nan.npy"], bad, 6, Classes);

        string[] search = graph ? ["--graph", dir["T.txt"]] : ["--model", dir["model"]];
        var run = await ProcessRun.SvodAsync(["decode", .. search, "--log-probs", "--frames", dir["lp"], "--json"]);
        AssertRefused(run, 1);
        Assert.Contains(dir["lp/b-nan.npy"], run.Stderr, StringComparison.Ordinal);
        Assert.Contains("frame 4", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("NaN", run.Stderr, StringComparison.Ordinal);
        var lines = Lines(run.Stdout);
        Assert.Equal(Lengths.Length, lines.Count);
        Assert.DoesNotContain("b-nan", lines.Keys);
    }

    [Fact]
    public async Task Log_probs_of_the_wrong_width_are_reported_with_both_widths_and_the_good_files_still_decoded()
    {
        using var dir = new TempDirectory();
        WriteModel(dir["model"]);
        WriteRandomLogProbs(dir["lp"], seed: 6);
        Npy.WriteFrames(dir["lp/wide.npy"], new float[4 * 7], 4, 7);

        var run = await ProcessRun.SvodAsync("decode", "--model", dir["model"], "--log-probs", "--frames", dir["lp"],
            "--json");
        AssertRefused(run, 1);
        var complaint = Assert.Single(run.Stderr.Split('\n'), l => l.Contains("wide.npy", StringComparison.Ordinal));
        Assert.Contains(dir["lp/wide.npy"], complaint, StringComparison.Ordinal);
        // The widths, looked for outside the temp path, whose random name may hold either digit.
        var said = complaint.Replace(dir["lp/wide.npy"], "", StringComparison.Ordinal);
        Assert.Matches(@"\b7\b", said);
        Assert.Matches(@"\b5\b", said);
        Assert.Equal(Lengths.Length, Lines(run.Stdout).Count);
    }

    [Fact]
    public async Task Help_lists_the_CTC_and_search_options()
    {
        var run = await ProcessRun.SvodAsync("decode", "--help");
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var option in new[] { "--graph", "--words", "--beam", "--max-active", "--lattice-beam",
                     "--acoustic-scale", "--lattice-out", "--log-probs" })
        {
            Assert.Contains(option + " ", run.Stdout, StringComparison.Ordinal);
        }
    }

    private const string OpenFstMissing = "OpenFst tools are not installed (apt-get install libfst-tools)";

    /// <summary>A GigaAM CTC model directory: config.json with the head and the character vocabulary,
    /// model.safetensors with the Conv1d weight Scale·I [C, D, 1] and <see cref="Bias"/>.</summary>
    private static void WriteModel(string directory)
    {
        Directory.CreateDirectory(directory);
        var vocabulary = JsonSerializer.Serialize(Vocabulary);
        File.WriteAllText(Path.Combine(directory, "config.json"), $$"""
            { "head": { "_target_": "gigaam.decoder.CTCHead", "feat_in": {{Width}}, "num_classes": {{Classes}} },
              "decoding": { "_target_": "gigaam.decoding.CTCGreedyDecoding", "vocabulary": {{vocabulary}} } }
            """);
        var weight = new float[Classes * Width];
        for (var k = 0; k < Classes; k++)
        {
            weight[(k * Width) + k] = Scale;
        }

        SafeTensors.Write(Path.Combine(directory, "model.safetensors"),
            [new SafeTensor(CtcModel.WeightTensor, TensorDType.F32, [Classes, Width, 1], weight),
                new SafeTensor(CtcModel.BiasTensor, TensorDType.F32, [Classes], [.. Bias])],
            TensorDType.F32);
    }

    /// <summary>Encoder frames [T, D]: frame t is a·one-hot(class t), a varying so the log-probs vary too.</summary>
    private static float[] EncoderFrames(int[] classes)
    {
        var frames = new float[classes.Length * Width];
        for (var t = 0; t < classes.Length; t++)
        {
            frames[(t * Width) + classes[t]] = 1f + (0.25f * (t % 3));
        }

        return frames;
    }

    /// <summary>The head as GigaAM computes it, in double: log_softmax(Scale·x + bias) per frame.</summary>
    private static float[] HeadLogProbs(float[] frames)
    {
        var logProbs = new float[frames.Length / Width * Classes];
        for (var t = 0; t < frames.Length / Width; t++)
        {
            var logits = Enumerable.Range(0, Classes).Select(k => (Scale * (double)frames[(t * Width) + k]) + Bias[k])
                .ToArray();
            var max = logits.Max();
            var logSum = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
            for (var k = 0; k < Classes; k++)
            {
                logProbs[(t * Classes) + k] = (float)(logits[k] - logSum);
            }
        }

        return logProbs;
    }

    /// <summary>−Σ over frames of the largest log-prob: the greedy path's cost.</summary>
    private static double GreedyCost(float[] logProbs, int classes) =>
        -Enumerable.Range(0, logProbs.Length / classes).Sum(t => (double)logProbs.AsSpan(t * classes, classes)
            .ToArray().Max());

    /// <summary>One .npy of log-probs per <see cref="Lengths"/> entry, named u0..u7 (sorted as written).</summary>
    private static void WriteRandomLogProbs(string directory, int seed)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(seed);
        for (var i = 0; i < Lengths.Length; i++)
        {
            Npy.WriteFrames(Path.Combine(directory, $"u{i}.npy"), PeakedLogProbs(random, Lengths[i]), Lengths[i],
                Classes);
        }
    }

    /// <summary>Log-probs [T, C] (rows normalised) with one clear winner per frame, drawn from blank, the previous
    /// frame's class or any class, so runs, blanks and "a ∅ a" all occur and the best path is unique.</summary>
    private static float[] PeakedLogProbs(Random random, int rows)
    {
        var logProbs = new float[rows * Classes];
        var previous = Blank;
        for (var t = 0; t < rows; t++)
        {
            var row = logProbs.AsSpan(t * Classes, Classes);
            var r = random.NextDouble();
            var winner = r < 0.3 ? Blank : r < 0.55 ? previous : random.Next(Classes);
            var logits = new double[Classes];
            for (var k = 0; k < Classes; k++)
            {
                logits[k] = k == winner ? 3 + random.NextDouble() : random.NextDouble();
            }

            var logSum = Math.Log(logits.Sum(Math.Exp));
            for (var k = 0; k < Classes; k++)
            {
                row[k] = (float)(logits[k] - logSum);
            }

            previous = winner;
        }

        return logProbs;
    }

    private static void WriteTopologyText(string path)
    {
        using var writer = new StreamWriter(path);
        CtcTopology.Build(Classes, Blank).WriteText(writer);
    }

    /// <summary>T compiled by OpenFst's fstcompile (a binary VectorFst), or null without OpenFst.</summary>
    private static async Task<string?> CompileTopologyAsync(TempDirectory dir)
    {
        var compile = RequiredTool.Find("fstcompile");
        if (compile is null)
        {
            return null;
        }

        WriteTopologyText(dir["T.txt"]);
        await ToolAsync(compile, dir["T.txt"], dir["T.fst"]);
        return dir["T.fst"];
    }

    private static async Task<string> ToolAsync(string program, params string[] arguments)
    {
        var run = await ProcessRun.StartAsync(program, arguments, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, $"{Path.GetFileName(program)} {string.Join(' ', arguments)}: {run}");
        return run.Stdout;
    }

    /// <summary>fstinfo's state, arc and final-state counts.</summary>
    private static string[] Counts(string info) =>
        [.. info.Split('\n').Where(l => l.StartsWith("# of states", StringComparison.Ordinal) ||
            l.StartsWith("# of arcs", StringComparison.Ordinal) ||
            l.StartsWith("# of final states", StringComparison.Ordinal)).Select(l => string.Join(' ',
            l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))];

    /// <summary>The non-epsilon output labels and total weight of a linear FST as fstprint writes it, followed from
    /// its start state (the first line's source) to its final state.</summary>
    private static (int[] Labels, double Cost) LinearPath(string printed)
    {
        var arcs = new Dictionary<int, (int Next, int Output, double Weight)>();
        var finals = new Dictionary<int, double>();
        int? start = null;
        foreach (var line in printed.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t', ' ').Where(x => x.Length > 0).ToArray();
            if (f.Length >= 4)
            {
                var source = int.Parse(f[0], CultureInfo.InvariantCulture);
                start ??= source;
                Assert.True(arcs.TryAdd(source, (int.Parse(f[1], CultureInfo.InvariantCulture),
                    int.Parse(f[3], CultureInfo.InvariantCulture),
                    f.Length > 4 ? double.Parse(f[4], CultureInfo.InvariantCulture) : 0)), $"not linear: {line}");
            }
            else
            {
                var state = int.Parse(f[0], CultureInfo.InvariantCulture);
                start ??= state;
                finals[state] = f.Length > 1 ? double.Parse(f[1], CultureInfo.InvariantCulture) : 0;
            }
        }

        Assert.NotNull(start);
        var labels = new List<int>();
        var cost = 0.0;
        var at = start.Value;
        while (arcs.TryGetValue(at, out var arc))
        {
            cost += arc.Weight;
            if (arc.Output != 0)
            {
                labels.Add(arc.Output);
            }

            at = arc.Next;
        }

        Assert.True(finals.TryGetValue(at, out var final), $"the shortest path ends in non-final state {at}");
        return ([.. labels], cost + final);
    }

    private static Dictionary<string, JsonElement> Lines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("utterance").GetString()!);

    private static int[] Ints(JsonElement line, string key) =>
        [.. line.GetProperty(key).EnumerateArray().Select(e => e.GetInt32())];

    /// <summary>The exit code, and a message rather than a crash: no stack trace on stderr.</summary>
    private static void AssertRefused(ProcessRun run, int exitCode)
    {
        Assert.True(run.ExitCode == exitCode, $"expected exit {exitCode}: {run}");
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }
}
