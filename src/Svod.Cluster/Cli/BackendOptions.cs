using System.CommandLine;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>Options shared by the commands that decode whole utterances: backend, threads, frames per call.</summary>
internal sealed class BackendOptions
{
    public Option<string> Backend { get; } = new("--backend")
    {
        Description = "AdvanceDecoding backend: 'cpu' (SIMD, always available) or 'auto' (the best available; cpu " +
            "in this build).",
        DefaultValueFactory = _ => "auto",
    };

    public Option<int> Threads { get; } = CliOptions.PositiveInt("--threads",
        "Decoding threads, each with its own backend and lanes.", 1);

    public Option<int> MaxFramesPerCall { get; } = CliOptions.PositiveInt("--max-frames-per-call",
        "Most frames one lane consumes per AdvanceDecoding call.", 64);

    public BackendOptions() => Backend.AcceptOnlyFromAmong("cpu", "auto");

    public void AddTo(Command command)
    {
        command.Options.Add(Backend);
        command.Options.Add(Threads);
        command.Options.Add(MaxFramesPerCall);
    }

    /// <summary>
    /// Decodes whole utterances on one backend per thread, each with <paramref name="lanes"/> lanes (never more
    /// than there are utterances), and disposes the backends.
    /// </summary>
    public OfflineRun Decode(ParseResult parse, RnntModel model, int lanes, IReadOnlyList<ReadOnlyMemory<float>> utterances,
        Action<int>? completed, CancellationToken cancellationToken)
    {
        lanes = Math.Min(lanes, Math.Max(1, utterances.Count));
        var backends = Enumerable.Range(0, parse.GetValue(Threads))
            .Select(IDecoderBackend (_) => new CpuDecoderBackend(model, lanes, lanes, parse.GetValue(MaxFramesPerCall)))
            .ToArray();
        try
        {
            var (results, stats) = OfflineDecoder.Decode(backends, utterances, completed, cancellationToken);
            return new OfflineRun(results, stats, backends.Length, lanes);
        }
        finally
        {
            foreach (var backend in backends)
            {
                backend.Dispose();
            }
        }
    }

    public sealed record OfflineRun(DecodedUtterance[] Results, DecodeCallStats Stats, int Threads, int Lanes);
}
