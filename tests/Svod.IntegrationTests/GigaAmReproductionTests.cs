using System.Text.Json;

namespace Svod.IntegrationTests;

/// <summary>
/// <c>svod decode --json</c> against GigaAM's own greedy decoding: tools/reference/make_reference.py builds a random
/// GigaAM <c>RNNTHead</c> in PyTorch, writes it as a model directory with random frames, and records what GigaAM's
/// <c>RNNTGreedyDecoding</c> returns for each utterance. Utterances with near-ties are kept (<c>--min-margin 0</c>):
/// the criterion is ≥ 99.5% identical, and every difference must be a float near-tie of the two best logits.
/// <c>planted</c> models decode like trained ones (about one token on a token frame); <c>random</c> ones are PyTorch's
/// default init with a tuned blank bias, bursty enough to hit <c>max_symbols_per_step</c>.
/// </summary>
public sealed class GigaAmReproductionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("char", "f32", 200, "planted", "")]
    [InlineData("bpe", "f32", 100, "planted", "")]
    [InlineData("char", "f16", 60, "planted", "")]
    [InlineData("char", "bf16", 60, "random", "--max-symbols 3")]
    [InlineData("bpe", "f32", 40, "random", "")]
    [InlineData("char", "f32", 40, "random", "--layers 2")]
    public async Task Decode_json_reproduces_GigaAM_greedy_tokens_and_frames(
        string preset, string dtype, int count, string structure, string extra)
    {
        if (!await PythonReference.AvailableAsync(output))
        {
            return;
        }

        using var dir = new TempDirectory();
        var generate = await ProcessRun.StartAsync(PythonReference.Python,
            [Path.Combine(RepositoryPaths.ReferenceTools, "make_reference.py"), "--out", dir.Path, "--preset", preset,
                "--dtype", dtype, "--utterances", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--seed", "11", "--structure", structure, "--min-margin", "0",
                .. extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)],
            TimeSpan.FromMinutes(10));
        Assert.True(generate.ExitCode == 0, $"make_reference.py failed: {generate}");

        var decode = await ProcessRun.SvodAsync("decode", "--model", dir["model"], "--frames", dir["frames"],
            "--batch", "64", "--json");
        Assert.True(decode.ExitCode == 0, $"svod decode failed: {decode}");

        var expected = ReadLines(File.ReadAllText(dir["expected.jsonl"]));
        var actual = ReadLines(decode.Stdout).ToDictionary(e => e.Utterance);
        Assert.Equal(count, expected.Count);
        Assert.Equal(count, actual.Count);
        var different = expected.Where(e => !actual[e.Utterance].SameAs(e)).ToArray();
        foreach (var e in different)
        {
            var a = actual[e.Utterance];
            output.WriteLine($"{e.Utterance}: GigaAM [{string.Join(",", e.Tokens)}] @ [{string.Join(",", e.Frames)}] " +
                $"svod [{string.Join(",", a.Tokens)}] @ [{string.Join(",", a.Frames)}]; smallest top-2 logit gap " +
                $"in GigaAM's decode {e.MinMargin:E2}");
        }

        // ≥ 99.5% identical; a difference is only acceptable on a float near-tie of the two best logits.
        Assert.True(different.Length <= count / 200, $"{different.Length} of {count} utterances differ");
        Assert.All(different, e => Assert.True(e.MinMargin < 1e-3,
            $"{e.Utterance} differs although its closest logit gap is {e.MinMargin:E2}, not a near-tie"));
        output.WriteLine($"{count - different.Length}/{count} identical; tokens: {expected.Sum(e => e.Tokens.Length)}");

        var summary = JsonDocument.Parse(decode.Stderr.Trim().Split('\n')[^1]).RootElement;
        var frames = Directory.GetFiles(dir["frames"], "*.npy").Length;
        Assert.Equal(count, frames);
        Assert.True(summary.GetProperty("frames").GetInt64() > 0);
        Assert.True(summary.GetProperty("frames_per_s").GetDouble() > 0);
    }

    private static List<Line> ReadLines(string jsonl) =>
        [.. jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l =>
        {
            var root = JsonDocument.Parse(l).RootElement;
            return new Line(
                root.GetProperty("utterance").GetString()!,
                root.GetProperty("text").GetString()!,
                [.. root.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32())],
                [.. root.GetProperty("frames").EnumerateArray().Select(t => t.GetInt32())],
                root.TryGetProperty("min_margin", out var m) ? m.GetDouble() : double.NaN);
        })];

    private sealed record Line(string Utterance, string Text, int[] Tokens, int[] Frames, double MinMargin)
    {
        public bool SameAs(Line other) =>
            Text == other.Text && Tokens.SequenceEqual(other.Tokens) && Frames.SequenceEqual(other.Frames);
    }
}
