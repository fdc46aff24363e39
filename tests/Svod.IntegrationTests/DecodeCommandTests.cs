using System.Text.Json;
using Svod.Gpu.Demo;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;

namespace Svod.IntegrationTests;

/// <summary>The <c>svod</c> executable end to end: happy paths and what bad input gets.</summary>
public sealed class DecodeCommandTests
{
    private const int DemoWidth = 64;

    [Fact]
    public async Task Model_demo_frames_and_decode_round_trip_the_text()
    {
        using var dir = new TempDirectory();
        var model = await ProcessRun.SvodAsync("model", "demo", "--out", dir["model"]);
        Assert.True(model.ExitCode == 0, model.ToString());
        var frames = await ProcessRun.SvodAsync("frames", "--model", dir["model"], "--text", "Lanes and channels!",
            "--noise", "0.05", "--out", dir["frames/one.npy"]);
        Assert.True(frames.ExitCode == 0, frames.ToString());

        var decode = await ProcessRun.SvodAsync("decode", "--model", dir["model"], "--frames", dir["frames"], "--json");
        Assert.True(decode.ExitCode == 0, decode.ToString());
        var line = JsonDocument.Parse(decode.Stdout.Trim()).RootElement;
        Assert.Equal("one", line.GetProperty("utterance").GetString());
        Assert.Equal("lanes and channels!", line.GetProperty("text").GetString());
        Assert.Equal(19, line.GetProperty("tokens").GetArrayLength());
        Assert.Equal(19, line.GetProperty("frames").GetArrayLength());
    }

    [Fact]
    public async Task Demo_transcribes_every_sentence()
    {
        var run = await ProcessRun.SvodAsync("demo", "--speed", "0", "--seconds", "1", "--streams", "8");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("8/8 transcripts equal their text", run.Stdout, StringComparison.Ordinal);
        Assert.Contains(" partial ", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Throughput through the node: 8 streams", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"transcripts (\d+)/\1 as expected", run.Stdout);
    }

    [Fact]
    public async Task Threads_and_batch_sizes_do_not_change_transcripts()
    {
        using var dir = new TempDirectory();
        var encoder = new SyntheticEncoder(DemoModel.Create());
        var random = new Random(3);
        for (var i = 0; i < 40; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(1, 60)).Select(_ => "abc xyz'.,?!"[random.Next(12)])]);
            var f = encoder.Encode(text, silenceFrames: random.Next(0, 3), noise: 0.08f, seed: i);
            Npy.WriteFrames(dir[$"u{i:D3}.npy"], f, f.Length / DemoWidth, DemoWidth);
        }

        var one = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", dir.Path, "--batch", "1", "--json");
        var many = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", dir.Path, "--batch", "7",
            "--threads", "2", "--max-frames-per-call", "5", "--json");
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.True(many.ExitCode == 0, many.ToString());
        Assert.Equal(40, one.Stdout.Trim().Split('\n').Length);
        Assert.Equal(one.Stdout, many.Stdout);
    }

    [Fact]
    public async Task Frames_of_the_wrong_width_are_reported_with_file_and_widths()
    {
        using var dir = new TempDirectory();
        var path = dir["narrow.npy"];
        Npy.WriteFrames(path, new float[5 * 10], 5, 10);
        var run = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", path);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(path, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("10", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("64", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Inf")]
    public async Task A_non_finite_value_is_reported_with_file_and_frame(float value, string word)
    {
        using var dir = new TempDirectory();
        var path = dir["bad.npy"];
        var frames = new float[6 * DemoWidth];
        frames[3 * DemoWidth + 7] = value;
        Npy.WriteFrames(path, frames, 6, DemoWidth);
        var run = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", path);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(path, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("frame 3", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(word, run.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Empty_and_malformed_files_are_reported_and_good_files_still_decoded()
    {
        using var dir = new TempDirectory();
        Npy.WriteFrames(dir["a-empty.npy"], [], 0, DemoWidth);
        await File.WriteAllBytesAsync(dir["b-garbage.npy"], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        var good = new SyntheticEncoder(DemoModel.Create()).Encode("still here");
        Npy.WriteFrames(dir["c-good.npy"], good, good.Length / DemoWidth, DemoWidth);

        var run = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", dir.Path, "--json");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(dir["a-empty.npy"], run.Stderr, StringComparison.Ordinal);
        Assert.Contains(dir["b-garbage.npy"], run.Stderr, StringComparison.Ordinal);
        var line = JsonDocument.Parse(run.Stdout.Trim()).RootElement;
        Assert.Equal("c-good", line.GetProperty("utterance").GetString());
        Assert.Equal("still here", line.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_missing_model_is_one_clear_line()
    {
        using var dir = new TempDirectory();
        var run = await ProcessRun.SvodAsync("decode", "--model", dir["nothing-here"], "--frames", dir.Path);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(dir["nothing-here"], run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_frames_path_that_does_not_exist_is_reported()
    {
        var run = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", "/no/such/frames.npy");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("/no/such/frames.npy", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--batch", "0")]
    [InlineData("--threads", "0")]
    [InlineData("--backend", "tpu")]
    public async Task Invalid_option_values_are_usage_errors_naming_the_option(string option, string value)
    {
        var run = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", "x.npy", option, value);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(option == "--backend" ? value : option, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_outside_the_demo_vocabulary_is_refused_with_its_position()
    {
        using var dir = new TempDirectory();
        var run = await ProcessRun.SvodAsync("frames", "--text", "héllo", "--out", dir["x.npy"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'é'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("position 1", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir["x.npy"]));
    }

    [Fact]
    public async Task A_saved_model_in_half_precision_still_decodes_the_demo()
    {
        using var dir = new TempDirectory();
        ModelDirectory.Save(DemoModel.Create(), dir["model"], TensorDType.BF16);
        var f = new SyntheticEncoder(DemoModel.Create()).Encode("bfloat sixteen");
        Npy.WriteFrames(dir["f.npy"], f, f.Length / DemoWidth, DemoWidth);
        var run = await ProcessRun.SvodAsync("decode", "--model", dir["model"], "--frames", dir["f.npy"], "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("bfloat sixteen", JsonDocument.Parse(run.Stdout.Trim()).RootElement.GetProperty("text").GetString());
    }
}
