using System.Text.Json;
using Svod.Client.Protocol;
using Svod.Gpu.Demo;
using Svod.Gpu.Formats;

namespace Svod.IntegrationTests;

/// <summary>A real <c>svod node</c> on loopback, real WebSockets: streaming equals offline decoding; bad input gets
/// a typed error for its utterance while the node keeps serving everyone else.</summary>
public sealed class NodeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly int Width = DemoModel.Dims.EncoderDim;
    private static readonly string[] Words = ["lanes", "channels", "stream", "node", "hello", "svod", "decode", "frame"];

    [Fact]
    public async Task Two_hundred_concurrent_utterances_in_random_chunks_give_exactly_svod_decodes_results()
    {
        using var dir = new TempDirectory();
        var encoder = new SyntheticEncoder(DemoModel.Create());
        var random = new Random(7);
        var utterances = Enumerable.Range(0, 200).Select(i =>
        {
            var text = string.Join(' ', Enumerable.Range(0, random.Next(1, 6)).Select(_ => Words[random.Next(Words.Length)]));
            var frames = encoder.Encode(text, silenceFrames: random.Next(0, 3), noise: 0.05f, seed: i);
            Npy.WriteFrames(dir[$"u{i:D3}.npy"], frames, frames.Length / Width, Width);
            return (Id: $"u{i:D3}", Frames: frames);
        }).ToArray();

        var offline = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", dir.Path, "--json");
        Assert.True(offline.ExitCode == 0, offline.ToString());
        var expected = offline.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("utterance").GetString()!);

        await using var node = await NodeProcess.StartAsync();
        var connections = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RawConnection.OpenAsync(node.StreamUri)));
        try
        {
            await Task.WhenAll(utterances.Select((u, i) => StreamAsync(connections[i % 4], u.Id, u.Frames, seed: i)));
            foreach (var (id, _) in utterances)
            {
                var connection = connections[int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) % 4];
                var final = await connection.FinalOf(id).WaitAsync(Patience);
                var want = expected[id];
                Assert.True(want.GetProperty("text").GetString() == final.Text, $"{id}: '{final.Text}'");
                Assert.Equal(want.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()), final.Tokens);
                Assert.Equal(want.GetProperty("frames").EnumerateArray().Select(t => t.GetInt32()), final.TokenFrames);
                Assert.Empty(connection.ErrorsOf(id));
            }
        }
        finally
        {
            foreach (var c in connections)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Bad_input_gets_typed_errors_and_the_node_keeps_serving()
    {
        await using var node = await NodeProcess.StartAsync("-D", "svod.node.max-message-size=64 KiB");
        await using var bad = await RawConnection.OpenAsync(node.StreamUri);
        await using var good = await RawConnection.OpenAsync(node.StreamUri);
        var frames = new SyntheticEncoder(DemoModel.Create()).Encode("still serving", silenceFrames: 1);
        await good.StartAsync("good");
        await good.FramesAsync("good", 0, frames.AsSpan(0, 10 * Width));

        await bad.SendBytesAsync([0xff, 0xff, 0xff, 0x01]);                     // malformed protobuf
        await bad.FramesAsync("never-started", 0, frames.AsSpan(0, Width));    // frames before Start
        await bad.StartAsync("m", model: "no-such-model");                     // unknown model
        await bad.StartAsync("dup");
        await bad.StartAsync("dup");                                            // duplicate utterance id
        await bad.FramesAsync("dup", 0, frames.AsSpan(0, Width - 1));          // wrong width
        var nan = frames[..(2 * Width)];
        nan[Width + 5] = float.NaN;
        await bad.FramesAsync("dup", 0, nan);                                   // NaN
        await bad.FramesAsync("dup", 5, frames.AsSpan(0, Width));              // offset gap
        await bad.FramesAsync("dup", 0, new float[20_000]);                    // oversized message (80 KB)

        await good.FramesAsync("good", 10, frames.AsSpan(10 * Width));
        await good.FinalizeAsync("good");
        Assert.Equal("still serving", (await good.FinalOf("good").WaitAsync(Patience)).Text);

        await bad.FinalizeAsync("dup"); // the refused frames left it empty: an empty final
        await bad.FinalOf("dup").WaitAsync(Patience);
        var connectionErrors = bad.ErrorsOf("").Select(e => e.Code).ToArray();
        Assert.Contains(ErrorCode.InvalidArgument, connectionErrors);
        Assert.Contains(ErrorCode.ResourceExhausted, connectionErrors);
        Assert.Equal(ErrorCode.NotFound, Assert.Single(bad.ErrorsOf("never-started")).Code);
        Assert.Equal(ErrorCode.NotFound, Assert.Single(bad.ErrorsOf("m")).Code);
        var dup = bad.ErrorsOf("dup");
        Assert.Contains(dup, e => e.Code == ErrorCode.AlreadyExists);
        Assert.Contains(dup, e => e.Code == ErrorCode.InvalidArgument && e.Message.Contains("not whole frames", StringComparison.Ordinal));
        Assert.Contains(dup, e => e.Code == ErrorCode.InvalidArgument && e.Message.Contains("NaN", StringComparison.Ordinal));
        Assert.Contains(dup, e => e.Code == ErrorCode.InvalidArgument && e.Message.Contains("gap", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Messages_sent_before_the_client_heard_its_utterance_end_are_dropped_and_a_new_Start_reopens_it()
    {
        // Long enough that the reopened utterance's frames, sent at once, always beat it on a loaded machine (at
        // 300 ms a CI run saw the second Start time out too).
        await using var node = await NodeProcess.StartAsync("-D", "svod.node.idle-timeout=2s");
        await using var connection = await RawConnection.OpenAsync(node.StreamUri);
        var frames = new SyntheticEncoder(DemoModel.Create()).Encode("again");
        await connection.StartAsync("u");
        Assert.Equal(ErrorCode.DeadlineExceeded, (await connection.FirstErrorOf("u").WaitAsync(Patience)).Code);

        // A client replaying the utterance on this connection would take NOT_FOUND for these for its replay's answer.
        await connection.FramesAsync("u", 0, frames.AsSpan(0, Width));
        await connection.FinalizeAsync("u");
        await connection.FramesAsync("never-started", 0, frames.AsSpan(0, Width));
        Assert.Equal(ErrorCode.NotFound, (await connection.FirstErrorOf("never-started").WaitAsync(Patience)).Code);
        Assert.Single(connection.ErrorsOf("u"));

        await connection.StartAsync("u");
        await connection.FramesAsync("u", 0, frames);
        await connection.FinalizeAsync("u");
        Assert.Equal("again", (await connection.FinalOf("u").WaitAsync(Patience)).Text);
        Assert.Single(connection.ErrorsOf("u"));
    }

    [Fact]
    public async Task Without_the_right_API_key_a_client_is_told_unauthenticated()
    {
        await using var node = await NodeProcess.StartAsync("-D", "svod.security.api-keys=[k-1]");
        await using (var anonymous = await RawConnection.OpenAsync(node.StreamUri))
        {
            var refused = await anonymous.FirstErrorOf("").WaitAsync(Patience);
            Assert.Equal(ErrorCode.Unauthenticated, refused.Code);
        }

        await using var allowed = await RawConnection.OpenAsync(node.StreamUri, apiKey: "k-1");
        var frames = new SyntheticEncoder(DemoModel.Create()).Encode("welcome");
        await allowed.StartAsync("a");
        await allowed.FramesAsync("a", 0, frames);
        await allowed.FinalizeAsync("a");
        Assert.Equal("welcome", (await allowed.FinalOf("a").WaitAsync(Patience)).Text);
    }

    [Fact]
    public async Task Transcribe_through_a_node_prints_exactly_what_decode_prints()
    {
        using var dir = new TempDirectory();
        var encoder = new SyntheticEncoder(DemoModel.Create());
        var random = new Random(9);
        for (var i = 0; i < 30; i++)
        {
            var text = string.Join(' ', Enumerable.Range(0, random.Next(1, 5)).Select(_ => Words[random.Next(Words.Length)]));
            var frames = encoder.Encode(text, silenceFrames: 1, noise: 0.05f, seed: i);
            Npy.WriteFrames(dir[$"t{i:D2}.npy"], frames, frames.Length / Width, Width);
        }

        var offline = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", dir.Path, "--json");
        Assert.True(offline.ExitCode == 0, offline.ToString());
        await using var node = await NodeProcess.StartAsync();
        var online = await ProcessRun.SvodAsync("transcribe", "--server", $"ws://127.0.0.1:{node.Port}", "--json",
            "--chunk-frames", "5", dir.Path);
        Assert.True(online.ExitCode == 0, online.ToString());
        Assert.Equal(offline.Stdout, online.Stdout);

        Npy.WriteFrames(dir["wide.npy"], new float[3 * (Width + 1)], 3, Width + 1);
        var mixed = await ProcessRun.SvodAsync("transcribe", "--server", $"http://127.0.0.1:{node.Port}", "--json",
            dir["wide.npy"], dir["t00.npy"]);
        Assert.Equal(1, mixed.ExitCode);
        Assert.Contains($"{dir["wide.npy"]}: frames have width {Width + 1}, model 'demo' expects {Width}", mixed.Stderr,
            StringComparison.Ordinal);
        Assert.Single(mixed.Stdout.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_client_vanishing_mid_utterance_releases_its_channels()
    {
        await using var node = await NodeProcess.StartAsync();
        var frames = new SyntheticEncoder(DemoModel.Create()).Encode("never finished", silenceFrames: 1);
        var crashing = await RawConnection.OpenAsync(node.StreamUri);
        for (var i = 0; i < 5; i++)
        {
            await crashing.StartAsync($"v{i}");
            await crashing.FramesAsync($"v{i}", 0, frames.AsSpan(0, 10 * Width));
        }

        await crashing.FirstStartedOf("v4").WaitAsync(Patience);
        Assert.Equal(5, OpenChannels(await node.StatsAsync()));
        crashing.Abort();

        // The node notices the dropped connection and its channel actors release their slots.
        var deadline = DateTime.UtcNow + Patience;
        while (OpenChannels(await node.StatsAsync()) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "channels of a vanished client were not released");
            await Task.Delay(20);
        }

        await using var next = await RawConnection.OpenAsync(node.StreamUri);
        await next.StartAsync("after");
        await next.FramesAsync("after", 0, frames);
        await next.FinalizeAsync("after");
        Assert.Equal("never finished", (await next.FinalOf("after").WaitAsync(Patience)).Text);
        await crashing.DisposeAsync();

        static int OpenChannels(JsonElement stats) =>
            stats.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "demo")
                .GetProperty("channels_open").GetInt32();
    }

    [Fact]
    public async Task Bench_against_a_node_reports_latency_and_checks_every_transcript()
    {
        await using var node = await NodeProcess.StartAsync();
        var run = await ProcessRun.SvodAsync("bench", "--server", $"ws://127.0.0.1:{node.Port}", "--streams", "8",
            "--duration", "2", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var last = JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]).RootElement;
        foreach (var key in new[] { "streams", "frames_per_s", "partial_p50_ms", "partial_p99_ms", "final_p99_ms",
                     "errors", "transcripts_ok", "transcripts_total" })
        {
            Assert.True(last.TryGetProperty(key, out _), $"no {key} in {last}");
        }

        Assert.Equal(8, last.GetProperty("streams").GetInt32());
        Assert.Equal(0, last.GetProperty("errors").GetInt32());
        Assert.True(last.GetProperty("transcripts_total").GetInt32() >= 8);
        Assert.Equal(last.GetProperty("transcripts_total").GetInt32(), last.GetProperty("transcripts_ok").GetInt32());
        Assert.True(last.GetProperty("partial_p99_ms").GetDouble() > 0);
    }

    private static async Task StreamAsync(RawConnection connection, string id, float[] frames, int seed)
    {
        var random = new Random(seed);
        await connection.StartAsync(id);
        var total = frames.Length / Width;
        for (var offset = 0; offset < total;)
        {
            var n = Math.Min(total - offset, random.Next(1, 17));
            await connection.FramesAsync(id, offset, frames.AsSpan(offset * Width, n * Width));
            offset += n;
        }

        await connection.FinalizeAsync(id);
    }
}
