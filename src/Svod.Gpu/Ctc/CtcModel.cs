using Svod.Gpu.Text;

namespace Svod.Gpu.Ctc;

/// <summary>
/// A loaded GigaAM CTC model (gigaam v2/v3 <c>ctc</c>): its <see cref="CtcHead"/> and tokenizer. Class ids are
/// token ids, and the blank is the last class (<c>num_classes − 1</c> = tokenizer size), as in GigaAM.
/// </summary>
public sealed partial class CtcModel
{
    public required CtcHead Head { get; init; }

    public required ITokenizer Tokenizer { get; init; }

    /// <summary>Where it was loaded from, or a description for constructed models; used in messages.</summary>
    public string Source { get; init; } = "(in memory)";

    /// <summary>d_model (<c>head.feat_in</c>).</summary>
    public int EncoderDim => Head.EncoderDim;

    /// <summary>Tokens + blank (<c>head.num_classes</c>).</summary>
    public int Classes => Head.Classes;

    /// <summary>The blank class, C − 1.</summary>
    public int Blank => Head.Blank;

    /// <summary>Encoder frames [T, d_model] → log-probabilities [T, C]; see <see cref="CtcHead.LogProbs"/>.</summary>
    public void LogProbs(ReadOnlySpan<float> frames, Span<float> output) => Head.LogProbs(frames, output);
}
