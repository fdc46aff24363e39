using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Svod.Client;
using Svod.Client.Protocol;
using Svod.Cluster.Configuration;
using Svod.Cluster.Node;
using Svod.Gpu.Demo;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>
/// <c>svod demo</c>: an embedded node on a free loopback port serving the synthetic demo model (written as a model
/// directory and loaded back); sentences streamed concurrently through the client library over real WebSockets,
/// partial and final transcripts shown as they arrive; a summary table; then a throughput run through the node.
/// </summary>
internal static class DemoCommand
{
    private static readonly string[] Sentences =
    [
        "hello world",
        "the quick brown fox jumps over the lazy dog.",
        "streaming speech decoding, batched on lanes!",
        "is this the channel you wanted?",
        "kaldi's lanes and channels, in dotnet.",
        "aaa bbb ccc, repeated letters need parity",
        "svod keeps each utterance's state in a channel",
        "good night",
    ];

    private static readonly Lock Console_ = new();

    public static Command Create(ConfigOptions config)
    {
        var batch = CliOptions.Batch("Lanes per AdvanceDecoding call of the embedded node.");
        var noise = new Option<float>("--noise")
        {
            Description = "Gaussian noise added to the synthesized frames.",
            DefaultValueFactory = _ => 0.05f,
        };
        var speed = new Option<double>("--speed")
        {
            Description = "Sending pace of the sentences: 1 is real time (40 ms a frame), 0 as fast as possible.",
            DefaultValueFactory = _ => 1.0,
        };
        var streams = CliOptions.PositiveInt("--streams", "Concurrent streams of the throughput run.", 64);
        var seconds = new Option<double>("--seconds")
        {
            Description = "Length of the throughput run; 0 skips it.",
            DefaultValueFactory = _ => 3.0,
        };
        var command = new Command("demo",
            "Run the demo: an embedded node with the synthetic demo model, sentences streamed concurrently over " +
            "WebSockets with partial and final transcripts shown live, a summary, and a throughput run.");
        foreach (var o in new Option[] { batch, noise, speed, streams, seconds })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = config.Load(parse);
            settings.Options.Lanes.Count = parse.GetValue(batch) ?? settings.Options.Lanes.Count;
            settings.Options.Node.Urls = "http://127.0.0.1:0";
            return await RunAsync(settings, parse.GetValue(noise), parse.GetValue(speed), parse.GetValue(streams),
                parse.GetValue(seconds), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(SvodSettings settings, float noise, double speed, int streams,
        double seconds, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"svod-demo-{Environment.ProcessId}");
        try
        {
            ModelDirectory.Save(DemoModel.Create(), directory);
            var model = ModelSource.Load(directory, settings);
            await using var node = new NodeHost(settings, new Dictionary<string, RnntModel> { [DemoModel.Name] = model });
            await node.StartAsync(cancellationToken);
            var uri = ServerOptions.StreamUri(node.Urls[0]);
            Console.Out.WriteLine($"Synthetic demo model written to {directory} and loaded back; it is constructed, not");
            Console.Out.WriteLine("trained: each frame encodes one character and the parity of its position.");
            Console.Out.WriteLine($"Embedded node on {uri} ({settings.Options.Lanes.Count} lanes per call).");
            Console.Out.WriteLine($"Streaming {Sentences.Length} sentences concurrently over one WebSocket" +
                (speed > 0 ? $" at {speed:0.##}x real time:" : ", as fast as possible:"));
            Console.Out.WriteLine();

            await using var client = await SvodClient.ConnectAsync(uri, cancellationToken: cancellationToken);
            var encoder = new SyntheticEncoder(model);
            var runs = await Task.WhenAll(Sentences.Select((sentence, i) => StreamAsync(client, $"s{i + 1}",
                encoder.Encode(sentence, silenceFrames: 1, noise, seed: i), speed, cancellationToken)));

            Console.Out.WriteLine();
            Console.Out.WriteLine("  id  frames  partials  final ms  transcript");
            var exact = 0;
            for (var i = 0; i < runs.Length; i++)
            {
                var ok = runs[i].Text == SyntheticEncoder.Normalize(Sentences[i]);
                exact += ok ? 1 : 0;
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  s{i + 1,-2} {runs[i].Frames,6} {runs[i].Partials,9} {runs[i].FinalMs,9:F1}  " +
                    $"{(ok ? "" : "DIFF ")}{runs[i].Text}"));
            }

            Console.Out.WriteLine($"{exact}/{Sentences.Length} transcripts equal their text.");
            if (seconds > 0)
            {
                var report = await new LoadRun([client], DemoModel.Name, LoadBench.Synthesized(), chunkFrames: 8,
                    realtime: false).RunAsync(streams, TimeSpan.FromSeconds(seconds), cancellationToken);
                Console.Out.WriteLine();
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Throughput through the node: {report.Streams} streams, {report.FramesPerSecond:N0} frames/s, " +
                    $"token latency p99 {report.TokenMs[2]:F1} ms, transcripts {report.TranscriptsOk}/" +
                    $"{report.TranscriptsTotal} as expected (demo-model sizes)."));
            }

            Console.Out.WriteLine("For GigaAM-sized models: svod bench (offline) or svod bench --server (a node).");
            return exact == Sentences.Length ? ExitCodes.Ok : ExitCodes.SomeFailed;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(string Text, int Frames, int Partials, double FinalMs)> StreamAsync(SvodClient client,
        string id, float[] frames, double speed, CancellationToken cancellationToken)
    {
        var stream = await client.StartAsync(id, DemoModel.Name, cancellationToken: cancellationToken);
        var count = frames.Length / stream.FrameWidth;
        var sending = stream.StreamAsync(frames, chunkFrames: 4, speed, cancellationToken: cancellationToken);

        var partials = 0;
        var words = 0;
        var text = "";
        double finalMs = 0;
        await foreach (var result in stream.Results.WithCancellation(cancellationToken))
        {
            if (result.IsFinal)
            {
                finalMs = Stopwatch.GetElapsedTime(await sending).TotalMilliseconds;
                text = result.Text;
                Show($"  {id,-3} final    {result.Text}");
                continue;
            }

            partials++;
            if (result.Words.Count > words)
            {
                words = result.Words.Count;
                Show($"  {id,-3} partial  {result.Text}");
            }
        }

        await sending;
        return (text, count, partials, finalMs);
    }

    private static void Show(string line)
    {
        lock (Console_)
        {
            Console.Out.WriteLine(line);
        }
    }
}
