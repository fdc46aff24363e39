using System.CommandLine;
using Svod.Cluster.Configuration;
using Svod.Gpu.Cuda;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>Options shared by the commands that decode whole utterances: backend, threads, frames per call. Each
/// overrides its configuration key when given.</summary>
internal sealed class BackendOptions
{
    public Option<string?> Backend { get; } = new("--backend")
    {
        Description = "AdvanceDecoding backend: 'cpu' (SIMD, always available), 'cuda' (an NVIDIA GPU; fails at once " +
            "with the reason where there is none) or 'auto' (cuda when it can start, else cpu). Default: " +
            "svod.decoding.backend from the configuration.",
    };

    public Option<int?> Threads { get; } = CliOptions.PositiveIntSetting("--threads",
        "Decoding threads, each with its own backend and lanes.", "svod.decoding.threads");

    public Option<int?> MaxFramesPerCall { get; } = CliOptions.PositiveIntSetting("--max-frames-per-call",
        "Most frames one lane consumes per AdvanceDecoding call.", "svod.lanes.max-frames-per-call");

    public BackendOptions() => Backend.AcceptOnlyFromAmong([.. DecoderBackends.Names]);

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
    public OfflineRun Decode(ParseResult parse, SvodSettings settings, RnntModel model, int lanes,
        IReadOnlyList<ReadOnlyMemory<float>> utterances, Action<int>? completed, CancellationToken cancellationToken)
    {
        lanes = Math.Min(lanes, Math.Max(1, utterances.Count));
        var threads = parse.GetValue(Threads) ?? settings.Options.Decoding.Threads;
        var framesPerCall = parse.GetValue(MaxFramesPerCall) ?? settings.Options.Lanes.MaxFramesPerCall;
        var kind = parse.GetValue(Backend) ?? settings.Options.Decoding.Backend;
        var backends = Create(kind, threads, model, lanes, framesPerCall);
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

    /// <summary>One backend of <paramref name="kind"/> per thread; <c>auto</c> says on stderr why it fell back to the
    /// cpu. A <c>cuda</c> backend that cannot start ends the command with its reason, exit code 69.</summary>
    public static IDecoderBackend[] Create(string kind, int count, RnntModel model, int lanes, int framesPerCall)
    {
        var backends = new List<IDecoderBackend>(count);
        var told = false;
        try
        {
            for (var i = 0; i < count; i++)
            {
                backends.Add(DecoderBackends.Create(kind, model, lanes, lanes, framesPerCall, reason =>
                {
                    if (!told)
                    {
                        told = true;
                        Console.Error.WriteLine($"svod: {reason}");
                    }
                }));
            }

            return [.. backends];
        }
        catch (Exception e) when (e is CudaUnavailableException or CudaException)
        {
            foreach (var backend in backends)
            {
                backend.Dispose();
            }

            throw new CliException(e.Message, ExitCodes.Unavailable);
        }
    }

    public sealed record OfflineRun(DecodedUtterance[] Results, DecodeCallStats Stats, int Threads, int Lanes);
}
