using System.CommandLine;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>Options shared by the commands that decode: backend, lanes, threads, frames per call.</summary>
internal sealed class BackendOptions
{
    public Option<string> Backend { get; } = new("--backend")
    {
        Description = "AdvanceDecoding backend: 'cpu' (SIMD, always available) or 'auto' (the best available; cpu " +
            "in this build).",
        DefaultValueFactory = _ => "auto",
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "Decoding threads, each with its own backend and lanes.",
        DefaultValueFactory = _ => 1,
    };

    public Option<int> MaxFramesPerCall { get; } = new("--max-frames-per-call")
    {
        Description = "Most frames one lane consumes per AdvanceDecoding call.",
        DefaultValueFactory = _ => 64,
    };

    public BackendOptions()
    {
        Backend.AcceptOnlyFromAmong("cpu", "auto");
        Threads.Validators.Add(r => RequirePositive(r, "--threads"));
        MaxFramesPerCall.Validators.Add(r => RequirePositive(r, "--max-frames-per-call"));
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Backend);
        command.Options.Add(Threads);
        command.Options.Add(MaxFramesPerCall);
    }

    /// <summary>One backend per thread, each with <paramref name="lanes"/> lanes and as many channels.</summary>
    public IDecoderBackend[] Create(ParseResult parse, RnntModel model, int lanes) =>
        Enumerable.Range(0, parse.GetValue(Threads))
            .Select(IDecoderBackend (_) => new CpuDecoderBackend(model, lanes, lanes, parse.GetValue(MaxFramesPerCall)))
            .ToArray();

    public static void RequirePositive(System.CommandLine.Parsing.OptionResult result, string name)
    {
        if (result.GetValueOrDefault<int>() < 1)
        {
            result.AddError($"{name} must be at least 1");
        }
    }
}
