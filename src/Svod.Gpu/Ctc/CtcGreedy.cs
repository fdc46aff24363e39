namespace Svod.Gpu.Ctc;

/// <summary>
/// GigaAM's <c>CTCGreedyDecoding</c>: the argmax class of every frame (first index on ties), repeats collapsed,
/// blanks dropped. A token is emitted on a frame whose argmax is not blank and differs from the previous frame's
/// argmax, so a token repeated across a blank (<c>a ∅ a</c>) is emitted twice and <c>a a</c> once. The frame of a
/// token is the first frame of its run.
/// </summary>
public static class CtcGreedy
{
    /// <summary>Decodes a whole utterance: <paramref name="logProbs"/> is [T, classes] row-major.</summary>
    /// <returns>Token ids (= class ids) and, for each, the frame index where its run starts.</returns>
    public static (int[] Tokens, int[] Frames) Decode(ReadOnlySpan<float> logProbs, int classes, int blank)
    {
        var state = new CtcGreedyState(classes, blank);
        var rows = logProbs.Length / classes;
        var tokens = new int[rows];
        var frames = new int[rows];
        var count = state.Advance(logProbs, tokens, frames);
        return (tokens[..count], frames[..count]);
    }

    /// <summary>The index of the largest value, the first one on ties (as <c>torch.argmax</c>). Log-probs are
    /// never NaN for finite frames; a NaN compares false here and so only wins in column 0.</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty)
        {
            throw new ArgumentException("empty row", nameof(row));
        }

        var best = 0;
        var max = row[0];
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > max)
            {
                max = row[i];
                best = i;
            }
        }

        return best;
    }
}
