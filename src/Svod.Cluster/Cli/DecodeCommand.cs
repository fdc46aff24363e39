using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Svod.Cluster.Configuration;
using Svod.Gpu.Ctc;

namespace Svod.Cluster.Cli;

/// <summary><c>svod decode</c>: greedy RNN-T decoding of .npy encoder frames through AdvanceDecoding.</summary>
internal static class DecodeCommand
{
    public static Command Create(ConfigOptions config)
    {
        var model = new Option<string?>("--model")
        {
            Description = ModelSource.Help + " A CTC model (GigaAM ctc) decodes greedily, or against --graph.",
        };
        var frames = new Option<string[]>("--frames")
        {
            Description = FrameInputs.Help,
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var batch = CliOptions.Batch("Lanes per AdvanceDecoding call: utterances decoded together by each thread.");
        var json = new Option<bool>("--json")
        {
            Description = "One JSON line per utterance on stdout ({utterance, text, tokens, frames}); a summary " +
                "line {frames, seconds, frames_per_s} last on stderr.",
        };
        var backend = new BackendOptions();
        var wfst = new WfstCliOptions();
        var command = new Command("decode",
            "Decode encoder frames (.npy files or directories): greedy RNN-T, greedy CTC, or CTC log-probs searched " +
            "against a decoding graph (--graph) with Kaldi CudaDecoder's beam search.");
        command.Options.Add(model);
        command.Options.Add(frames);
        command.Options.Add(batch);
        backend.AddTo(command);
        wfst.AddTo(command);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = config.Load(parse);
            var modelPath = parse.GetValue(model);
            var lanes = parse.GetValue(batch) ?? settings.Options.Lanes.Count;
            if (parse.GetValue(wfst.Graph) is not null || parse.GetValue(wfst.LogProbs) ||
                (modelPath is not null && CtcModel.IsCtcDirectory(modelPath)))
            {
                return Task.FromResult(CtcDecode.Run(parse, settings, modelPath, parse.GetValue(frames)!, lanes,
                    parse.GetValue(json), wfst, backend, cancellationToken));
            }

            if (modelPath is null)
            {
                throw new CliException("--model is required (except with --graph and --log-probs)");
            }

            return Task.FromResult(Run(parse, settings, modelPath, parse.GetValue(frames)!, lanes,
                parse.GetValue(json), backend, cancellationToken));
        });
        return command;
    }

    private static int Run(ParseResult parse, SvodSettings settings, string modelPath, string[] framePaths, int batch,
        bool json, BackendOptions backendOptions, CancellationToken cancellationToken)
    {
        var model = ModelSource.Load(modelPath, settings);
        var inputs = FrameInputs.Expand(framePaths);
        var width = model.Dims.EncoderDim;

        // Read and check every file first, so decoding time counts decoding only.
        var loading = new Progress("files read", inputs.Count, enabled: !json);
        var utterances = new List<ReadOnlyMemory<float>>(inputs.Count);
        var names = new List<string>(inputs.Count);
        var failures = 0;
        foreach (var input in inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (matrix, error) = FrameInputs.TryRead(input, width);
            if (matrix is null)
            {
                Console.Error.WriteLine($"svod: {error}");
                failures++;
            }
            else
            {
                utterances.Add(matrix.Data);
                names.Add(input.Name);
            }

            loading.Advance();
        }

        loading.Done();
        var totalFrames = utterances.Sum(u => (long)u.Length / width);
        var decoding = new Progress("utterances decoded", utterances.Count, enabled: !json);
        var clock = Stopwatch.StartNew();
        var run = backendOptions.Decode(parse, settings, model, batch, utterances, _ => decoding.Advance(),
            cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        decoding.Done();
        var results = run.Results;

        for (var i = 0; i < results.Length; i++)
        {
            var text = model.Tokenizer.Decode(results[i].Tokens);
            Console.Out.WriteLine(JsonLines.Utterance(json, names[i], text, results[i].Tokens, results[i].TokenFrames));
        }

        var rate = seconds > 0 ? totalFrames / seconds : 0;
        if (json)
        {
            Console.Error.WriteLine(JsonLines.Write(w =>
            {
                w.WriteNumber("frames", totalFrames);
                w.WriteNumber("seconds", Math.Round(seconds, 6));
                w.WriteNumber("frames_per_s", Math.Round(rate, 1));
            }));
        }
        else
        {
            var failed = failures > 0 ? $"; {failures} file(s) failed" : "";
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"decoded {results.Length} utterances, {totalFrames:N0} frames in {seconds:F3} s: {rate:N0} frames/s " +
                $"({rate * 0.04:N0}x real time at 40 ms frames), {run.Stats.Emissions:N0} tokens, " +
                $"{run.Threads} thread(s) x {run.Lanes} lanes{failed}"));
        }

        return failures > 0 ? ExitCodes.SomeFailed : ExitCodes.Ok;
    }
}
