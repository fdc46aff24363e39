using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Svod.Cluster.Configuration;
using Svod.Gpu.Demo;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>
/// <c>svod demo</c>: writes the synthetic demo model as a model directory, loads it back, synthesizes sentences,
/// decodes them batched through AdvanceDecoding and prints the transcripts and the throughput.
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

    public static Command Create(ConfigOptions config)
    {
        var batch = CliOptions.Batch("Lanes per AdvanceDecoding call.");
        var utterances = CliOptions.PositiveInt("--utterances", "Synthesized utterances for the throughput run.", 2000);
        var noise = new Option<float>("--noise")
        {
            Description = "Gaussian noise added to the synthesized frames.",
            DefaultValueFactory = _ => 0.05f,
        };
        var backend = new BackendOptions();
        var command = new Command("demo",
            "Run the demo: write the synthetic demo model, synthesize sentences, decode them batched, print " +
            "transcripts and frames/s.");
        command.Options.Add(batch);
        command.Options.Add(utterances);
        command.Options.Add(noise);
        backend.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = config.Load(parse);
            return Task.FromResult(Run(parse, settings, parse.GetValue(batch) ?? settings.Options.Lanes.Count,
                parse.GetValue(utterances), parse.GetValue(noise), backend, cancellationToken));
        });
        return command;
    }

    private static int Run(ParseResult parse, SvodSettings settings, int batch, int count, float noise,
        BackendOptions backendOptions, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"svod-demo-{Environment.ProcessId}");
        try
        {
            ModelDirectory.Save(DemoModel.Create(), directory);
            var model = ModelSource.Load(directory, settings);
            Console.Out.WriteLine($"Synthetic demo model written to {directory} and loaded back ({model.Source}).");
            Console.Out.WriteLine(
                "It is constructed, not trained: each frame encodes one character and the parity of its position.");
            Console.Out.WriteLine();

            var encoder = new SyntheticEncoder(model);
            var frames = Sentences.Select((s, i) => encoder.Encode(s, silenceFrames: 1, noise, seed: i)).ToArray();
            var results = backendOptions.Decode(parse, settings, model, batch, Memories(frames), null,
                cancellationToken).Results;
            var exact = 0;
            for (var i = 0; i < Sentences.Length; i++)
            {
                var text = model.Tokenizer.Decode(results[i].Tokens);
                var ok = text == SyntheticEncoder.Normalize(Sentences[i]);
                exact += ok ? 1 : 0;
                Console.Out.WriteLine($"  {(ok ? "ok  " : "DIFF")} {frames[i].Length / model.Dims.EncoderDim,4} frames  {text}");
            }

            Console.Out.WriteLine($"{exact}/{Sentences.Length} transcripts equal their text.");
            Console.Out.WriteLine();

            var random = new Random(7);
            var many = Enumerable.Range(0, count)
                .Select(i => encoder.Encode(Sentences[random.Next(Sentences.Length)], 1, noise, seed: 1000 + i))
                .ToArray();
            var clock = Stopwatch.StartNew();
            var run = backendOptions.Decode(parse, settings, model, batch, Memories(many), null, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Throughput: {count} utterances, {run.Stats.Frames:N0} frames in {seconds:F3} s = " +
                $"{run.Stats.Frames / seconds:N0} frames/s ({run.Threads} thread(s) x {run.Lanes} lanes, " +
                $"demo-model sizes)."));
            Console.Out.WriteLine("For GigaAM-sized models run: svod bench");
            return exact == Sentences.Length ? ExitCodes.Ok : ExitCodes.SomeFailed;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static ReadOnlyMemory<float>[] Memories(float[][] utterances) =>
        [.. utterances.Select(u => (ReadOnlyMemory<float>)u)];
}
