using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

/// <summary>
/// Every setting Svod reads, under the HOCON root <c>svod</c>. Defaults are the initializers here; each key is
/// documented once, with its default, in <c>hocon/svod.conf</c> (a test keeps the two equal).
/// </summary>
public sealed class SvodOptions
{
    public const string Root = "svod";

    [ConfigurationKeyName("decoding")]
    public DecodingOptions Decoding { get; set; } = new();

    [ConfigurationKeyName("lanes")]
    public LaneOptions Lanes { get; set; } = new();
}

/// <summary><c>svod.decoding</c>: how utterances are decoded.</summary>
public sealed class DecodingOptions
{
    /// <summary>AdvanceDecoding backend: <c>cpu</c> or <c>auto</c>.</summary>
    [ConfigurationKeyName("backend")]
    public string Backend { get; set; } = "auto";

    /// <summary>Decoding threads of the offline commands, each with its own backend.</summary>
    [ConfigurationKeyName("threads")]
    public int Threads { get; set; } = 1;

    /// <summary>Overrides the model's <c>decoding.max_symbols_per_step</c>; 0 keeps the model's value.</summary>
    [ConfigurationKeyName("max-symbols-per-step")]
    public int MaxSymbolsPerStep { get; set; }
}

/// <summary><c>svod.lanes</c>: the shape of an AdvanceDecoding call.</summary>
public sealed class LaneOptions
{
    /// <summary>Lanes per call: channels decoded together.</summary>
    [ConfigurationKeyName("count")]
    public int Count { get; set; } = 64;

    /// <summary>Most frames one lane consumes per call.</summary>
    [ConfigurationKeyName("max-frames-per-call")]
    public int MaxFramesPerCall { get; set; } = 64;
}
