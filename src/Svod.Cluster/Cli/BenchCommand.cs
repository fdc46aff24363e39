using System.CommandLine;
using System.Globalization;
using Svod.Gpu.Decoding.Kernels;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary><c>svod bench</c>: AdvanceDecoding frames/s per thread at several batch sizes.</summary>
internal static class BenchCommand
{
    public static Command Create(ConfigOptions config)
    {
        var preset = new Option<string>("--preset")
        {
            Description = "Random model at GigaAM v3 sizes: 'char' (34 classes), 'bpe' (1025 classes) or 'all'. " +
                "Ignored when --model is given.",
            DefaultValueFactory = _ => "all",
        };
        preset.AcceptOnlyFromAmong("char", "bpe", "all");
        var model = new Option<string?>("--model") { Description = ModelSource.Help + " Default: random (--preset)." };
        var frames = new Option<string[]>("--frames")
        {
            Description = FrameInputs.Help + " Default: random N(0,1) frames.",
            AllowMultipleArgumentsPerToken = true,
        };
        var batches = new Option<int[]>("--batch")
        {
            Description = "Batch sizes (lanes per call), comma-separated.",
            DefaultValueFactory = _ => [1, 16, 64, 256],
            CustomParser = ParseList,
        };
        var seconds = new Option<double>("--seconds")
        {
            Description = "Measuring time per batch size.",
            DefaultValueFactory = _ => 3.0,
        };
        var tokensPerFrame = new Option<double>("--tokens-per-frame")
        {
            Description = "Random models: the blank bias is tuned so greedy decoding emits about this many tokens " +
                "per frame.",
            DefaultValueFactory = _ => 0.5,
        };
        var utteranceFrames = CliOptions.PositiveInt("--utterance-frames", "Random frames: frames per utterance.", 128);
        var maxFramesPerCall = CliOptions.PositiveIntSetting("--max-frames-per-call",
            "Frames each lane gets per AdvanceDecoding call (the chunk a streaming client sends).",
            "svod.lanes.max-frames-per-call");
        var seed = new Option<int>("--seed") { Description = "Seed of random models and frames.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "One JSON line per measurement on stdout." };
        var server = new ServerOptions(
            "Load a running node instead (ws://HOST:PORT): --streams concurrent utterances for --duration; " +
            "reports frames/s, token and final latency percentiles, errors and transcripts checked. --model names " +
            "the node's model (default demo: sentences through the synthetic encoder); other models need --frames " +
            "and --expected.", required: false);
        var streams = CliOptions.PositiveInt("--streams", "Load mode: concurrent streams.", 64);
        var duration = new Option<double>("--duration") { Description = "Load mode: seconds of load.", DefaultValueFactory = _ => 10 };
        var realtime = new Option<bool>("--realtime") { Description = "Load mode: each stream sends at real-time pace." };
        var chunk = CliOptions.PositiveInt("--chunk-frames", "Load mode: frames per message (8 = 320 ms).", 8);
        var connections = CliOptions.PositiveInt("--connections", "Load mode: WebSocket connections the streams share.", 4);
        var expected = new Option<string?>("--expected")
        {
            Description = "Load mode with --frames: the 'svod decode --json' output of those files, to check transcripts.",
        };
        var idle = new Option<int>("--idle-streams")
        {
            Description = "Load mode: instead of load, open this many utterances holding one message of frames each and " +
                "report the memory per open channel of every node given (summed over a cluster's nodes).",
        };
        var backend = new BackendOptions().Backend;
        var command = new Command("bench",
            "Measure AdvanceDecoding frames/s on one thread for several batch sizes, beside this core's SGEMM rate; " +
            "or, with --server, load a running node and measure latency.");
        foreach (var o in new Option[] { preset, model, frames, batches, seconds, tokensPerFrame, utteranceFrames,
                     maxFramesPerCall, seed, backend, json }.Concat(server.All).Concat([streams, duration, realtime, chunk, connections,
                     expected, idle]))
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = config.Load(parse);
            if (server.Nodes(parse) is { Count: > 0 } nodes)
            {
                return await LoadBench.RunAsync(new LoadBench.Settings(nodes,
                    parse.GetValue(model) ?? "demo", server.ClientOptions(parse), parse.GetValue(streams),
                    TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(realtime), parse.GetValue(chunk),
                    parse.GetValue(connections), parse.GetValue(frames) ?? [], parse.GetValue(expected),
                    parse.GetValue(json), parse.GetValue(idle)), cancellationToken);
            }

            var settings = new BenchRun.Settings(
                parse.GetValue(batches)!, parse.GetValue(seconds),
                parse.GetValue(maxFramesPerCall) ?? configuration.Options.Lanes.MaxFramesPerCall, parse.GetValue(json),
                parse.GetValue(backend) ?? configuration.Options.Decoding.Backend);
            var workloads = Workloads(parse.GetValue(model), parse.GetValue(frames) ?? [], parse.GetValue(preset)!,
                parse.GetValue(tokensPerFrame), parse.GetValue(utteranceFrames), parse.GetValue(seed), settings.Json,
                configuration);
            var sgemm = SgemmProbe.MeasureGflops();
            BenchRun.Report(sgemm, settings.Json);
            foreach (var workload in workloads)
            {
                BenchRun.Measure(workload, settings, sgemm, cancellationToken);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    internal static IEnumerable<BenchRun.Workload> Workloads(string? modelPath, string[] framePaths, string preset,
        double tokensPerFrame, int utteranceFrames, int seed, bool json, Configuration.SvodSettings configuration)
    {
        if (modelPath is not null)
        {
            var model = ModelSource.Load(modelPath, configuration);
            var utterances = framePaths.Length > 0
                ? LoadFrames(framePaths, model.Dims.EncoderDim)
                : RandomFrames(model.Dims, 64, utteranceFrames, seed);
            yield return new BenchRun.Workload(Path.GetFileName(Path.TrimEndingDirectorySeparator(modelPath)), model,
                utterances);
            yield break;
        }

        foreach (var (name, dims) in new[] { ("char", RnntDims.GigaAmChar), ("bpe", RnntDims.GigaAmBpe) })
        {
            if (preset != "all" && preset != name)
            {
                continue;
            }

            var utterances = RandomFrames(dims, 256, utteranceFrames, seed);
            var (model, achieved) = RandomModel.CreateWithTokensPerFrame(dims, seed, tokensPerFrame,
                utterances.Take(16).ToArray());
            if (!json)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: random model {dims.EncoderDim}/{dims.PredHidden}/{dims.JointHidden}/" +
                    $"{dims.NumClasses} classes, blank bias tuned to {achieved:F2} tokens/frame"));
            }

            yield return new BenchRun.Workload(name, model, utterances);
        }
    }

    private static float[][] RandomFrames(RnntDims dims, int count, int frames, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => RandomModel.Frames(dims, frames, random)).ToArray();
    }

    private static float[][] LoadFrames(string[] paths, int width)
    {
        var result = new List<float[]>();
        foreach (var input in FrameInputs.Expand(paths))
        {
            var (matrix, error) = FrameInputs.TryRead(input, width);
            result.Add(matrix?.Data ?? throw new CliException(error!));
        }

        return [.. result];
    }

    internal static int[] ParseList(System.CommandLine.Parsing.ArgumentResult result)
    {
        var values = new List<int>();
        foreach (var token in result.Tokens)
        {
            foreach (var part in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
                {
                    result.AddError($"--batch: '{part}' is not a positive whole number");
                    return [];
                }

                values.Add(v);
            }
        }

        return [.. values];
    }
}
