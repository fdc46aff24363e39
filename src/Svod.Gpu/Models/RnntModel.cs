using Svod.Gpu.Text;

namespace Svod.Gpu.Models;

/// <summary>A loaded RNN-T head: its sizes, weights (f32), tokenizer and greedy decoding settings.</summary>
public sealed class RnntModel
{
    public const int DefaultMaxSymbolsPerStep = 10;

    public required RnntDims Dims { get; init; }

    public required RnntWeights Weights { get; init; }

    public required ITokenizer Tokenizer { get; init; }

    /// <summary>GigaAM's <c>decoding.max_symbols_per_step</c>: most tokens emitted on one frame.</summary>
    public int MaxSymbolsPerStep { get; init; } = DefaultMaxSymbolsPerStep;

    /// <summary>Where it was loaded from, or a description for constructed models; used in messages.</summary>
    public string Source { get; init; } = "(in memory)";
}
