using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Svod.Cluster.Configuration;
using Svod.Gpu.Ctc;
using Svod.Gpu.Models;
using Svod.Gpu.Wfst;

namespace Svod.Cluster.Cli;

/// <summary>
/// <c>svod decode</c> for CTC: encoder frames through a CTC model's head (or log-probs as given) decoded greedily,
/// as GigaAM does, or with a lattice search against a decoding graph (<c>--graph</c>).
/// </summary>
internal static class CtcDecode
{
    public static int Run(ParseResult parse, SvodSettings settings, string? modelPath, string[] framePaths, int batch,
        bool json, WfstCliOptions options, BackendOptions backend, CancellationToken cancellationToken)
    {
        if (parse.GetValue(backend.Backend) == "cuda")
        {
            throw new CliException("--backend cuda decodes RNN-T models; CTC and WFST decoding run on the CPU");
        }

        if (parse.GetValue(backend.Threads) is > 1)
        {
            Console.Error.WriteLine("svod: note: --threads applies to RNN-T models; CTC and WFST decoding use one thread");
        }

        var framesPerCall = parse.GetValue(backend.MaxFramesPerCall) ?? settings.Options.Lanes.MaxFramesPerCall;
        var logProbsGiven = parse.GetValue(options.LogProbs);
        var graphPath = parse.GetValue(options.Graph);
        var model = modelPath is null ? null : LoadModel(modelPath);
        if (model is null && !(logProbsGiven && graphPath is not null))
        {
            throw new CliException(logProbsGiven
                ? "--model is needed for greedy CTC decoding (its tokenizer); or pass --graph to search a graph"
                : "--model (a CTC model directory) is needed to turn encoder frames into log-probs; or pass " +
                  "--log-probs with --graph");
        }

        if (parse.GetValue(options.LatticeOut) is not null && graphPath is null)
        {
            throw new CliException("--lattice-out needs --graph (greedy decoding makes no lattice)");
        }

        var search = graphPath is null ? null : options.Search(parse, settings);
        var graph = graphPath is null ? null : LoadGraph(graphPath);
        var words = parse.GetValue(options.Words) is { } wordsPath ? LoadWords(wordsPath) : null;
        var inputs = FrameInputs.Expand(framePaths);
        var (names, utterances, classes, failures) = ReadLogProbs(inputs, model, logProbsGiven, json, cancellationToken);
        var totalFrames = utterances.Sum(u => (long)u.Length / classes);

        var clock = Stopwatch.StartNew();
        if (graph is null)
        {
            for (var i = 0; i < utterances.Count; i++)
            {
                var (tokens, tokenFrames) = CtcGreedy.Decode(utterances[i], classes, model!.Blank);
                Console.Out.WriteLine(JsonLines.Utterance(json, names[i], model.Tokenizer.Decode(tokens), tokens,
                    tokenFrames, GreedyCost(utterances[i], classes)));
            }

            Summary(json, utterances.Count, totalFrames, clock.Elapsed.TotalSeconds, failures, "greedy CTC", null);
            return failures > 0 ? ExitCodes.SomeFailed : ExitCodes.Ok;
        }

        WfstDecoder decoder;
        batch = Math.Max(1, Math.Min(batch, utterances.Count));
        try
        {
            decoder = new WfstDecoder(graph, classes, search!, batch, batch, framesPerCall);
        }
        catch (ArgumentException e)
        {
            // The reason only, without the "(Parameter 'graph')" ArgumentException appends for programmers.
            var reason = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "",
                StringComparison.Ordinal);
            throw new CliException($"{graphPath}: {reason}");
        }

        var latticeOut = parse.GetValue(options.LatticeOut);
        if (latticeOut is not null)
        {
            Directory.CreateDirectory(latticeOut);
        }

        // Channels finish in any order; lines are printed in the order of the inputs, as the other decoders do.
        var lines = new string[utterances.Count];
        var run = new WfstBatchRun(decoder, utterances, !json);
        run.Run((index, path, lattice) =>
        {
            var text = string.Join(' ', path.Words.Select(w => words?.Find(w) ?? w.ToString(CultureInfo.InvariantCulture)));
            lines[index] = JsonLines.Utterance(json, names[index], text, path.Words, path.WordFrames, path.Cost,
                path.ReachedFinal);
            if (lattice is not null)
            {
                using (var writer = new StreamWriter(Path.Combine(latticeOut!, names[index] + ".lat.txt")))
                {
                    lattice.WriteText(writer);
                }

                lattice.WriteBinary(Path.Combine(latticeOut!, names[index] + ".lat.fst"));
            }
        }, latticeOut is not null, cancellationToken);
        foreach (var line in lines)
        {
            Console.Out.WriteLine(line);
        }

        Summary(json, utterances.Count, totalFrames, run.Seconds, failures, $"WFST search, {batch} lanes", run);
        return failures > 0 ? ExitCodes.SomeFailed : ExitCodes.Ok;
    }

    private static CtcModel LoadModel(string path)
    {
        try
        {
            return CtcModel.Load(path);
        }
        catch (ModelFormatException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static WfstGraph LoadGraph(string path)
    {
        try
        {
            return WfstGraph.Load(path);
        }
        catch (Exception e) when (e is FstFormatException or IOException or UnauthorizedAccessException)
        {
            throw new CliException(e is FstFormatException ? e.Message : $"{path}: {e.Message}");
        }
    }

    private static SymbolTable LoadWords(string path)
    {
        try
        {
            return SymbolTable.Load(path);
        }
        catch (Exception e) when (e is FstFormatException or IOException or UnauthorizedAccessException)
        {
            throw new CliException(e is FstFormatException ? e.Message : $"{path}: {e.Message}");
        }
    }

    /// <summary>Every input as log-probs [T, classes]; a file that cannot be read, has the wrong width, or holds a
    /// NaN or +∞ log-prob is reported and skipped.</summary>
    private static (List<string> Names, List<float[]> LogProbs, int Classes, int Failures) ReadLogProbs(
        IReadOnlyList<FrameInputs.Input> inputs, CtcModel? model, bool logProbsGiven, bool json,
        CancellationToken cancellationToken)
    {
        int? classes = model?.Classes;
        var names = new List<string>(inputs.Count);
        var result = new List<float[]>(inputs.Count);
        var failures = 0;
        var loading = new Progress("files read", inputs.Count, enabled: !json);
        foreach (var input in inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (matrix, error) = FrameInputs.TryRead(input, logProbsGiven ? classes : model!.EncoderDim);
            float[]? logProbs = null;
            if (matrix is not null)
            {
                if (logProbsGiven)
                {
                    classes ??= matrix.Cols;
                    logProbs = matrix.Data;
                }
                else
                {
                    logProbs = new float[matrix.Rows * model!.Classes];
                    model.LogProbs(matrix.Data, logProbs);
                }

                error = CheckLogProbs(input.Path, logProbs, classes!.Value);
            }

            if (error is not null)
            {
                Console.Error.WriteLine($"svod: {error}");
                failures++;
            }
            else
            {
                names.Add(input.Name);
                result.Add(logProbs!);
            }

            loading.Advance();
        }

        loading.Done();
        return (names, result, classes ?? 1, failures);
    }

    private static string? CheckLogProbs(string path, float[] logProbs, int classes)
    {
        for (var i = 0; i < logProbs.Length; i++)
        {
            if (float.IsNaN(logProbs[i]) || float.IsPositiveInfinity(logProbs[i]))
            {
                return $"{path}: frame {i / classes}, class {i % classes} is {logProbs[i]}; log-probs must be " +
                    "finite or -Infinity";
            }
        }

        return null;
    }

    /// <summary>The greedy path's cost: minus the sum of each frame's largest log-prob.</summary>
    private static double GreedyCost(float[] logProbs, int classes)
    {
        var cost = 0.0;
        for (var t = 0; t < logProbs.Length / classes; t++)
        {
            cost -= logProbs.AsSpan(t * classes, classes)[CtcGreedy.ArgMax(logProbs.AsSpan(t * classes, classes))];
        }

        return cost;
    }

    private static void Summary(bool json, int utterances, long frames, double seconds, int failures, string how,
        WfstBatchRun? run)
    {
        var rate = seconds > 0 ? frames / seconds : 0;
        var totals = run?.Totals ?? default;
        if (json)
        {
            Console.Error.WriteLine(JsonLines.Write(w =>
            {
                w.WriteNumber("frames", frames);
                w.WriteNumber("seconds", Math.Round(seconds, 6));
                w.WriteNumber("frames_per_s", Math.Round(rate, 1));
                if (run is not null)
                {
                    w.WriteNumber("states_per_frame", Math.Round(totals.NodesPerFrame, 1));
                    w.WriteNumber("tokens_per_frame", Math.Round(totals.TokensPerFrame, 1));
                    w.WriteNumber("channel_bytes_per_frame", Math.Round(run.HistoryBytesPerFrame, 1));
                    w.WriteNumber("frontier_bytes", run.MaxFrontierBytes);
                    w.WriteNumber("overflows", totals.Overflows);
                    w.WriteNumber("max_active_cuts", totals.MaxActiveCuts);
                    w.WriteNumber("dead_ends", totals.DeadEnds);
                }
            }));
            return;
        }

        var failed = failures > 0 ? $"; {failures} file(s) failed" : "";
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decoded {utterances} utterances, {frames:N0} frames in {seconds:F3} s: {rate:N0} frames/s " +
            $"({rate * 0.04:N0}x real time at 40 ms frames), {how}{failed}"));
        if (run is not null)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"search: {totals.NodesPerFrame:N1} active states and {totals.TokensPerFrame:N1} tokens per frame; " +
                $"channel state {run.HistoryBytesPerFrame:N0} bytes per frame of history, frontier at most " +
                $"{run.MaxFrontierBytes:N0} bytes; {totals.MaxActiveCuts:N0} max-active cuts"));
            if (totals.Overflows > 0 || totals.DeadEnds > 0)
            {
                var overflows = totals.Overflows.ToString("N0", CultureInfo.InvariantCulture);
                var deadEnds = totals.DeadEnds.ToString("N0", CultureInfo.InvariantCulture);
                Console.Error.WriteLine(
                    $"svod: warning: {overflows} frame(s) overflowed the token queues (kept what fitted; raise " +
                    $"svod.decoding.wfst.aux-queue-capacity or lower --beam), {deadEnds} utterance(s) hit a dead " +
                    "end (no path through the graph; their best path stops there)");
            }
        }
    }
}
