namespace Svod.Gpu.Ctc;

/// <summary>
/// Streaming <see cref="CtcGreedy"/>: carries the previous frame's argmax and the frame count across calls, so
/// decoding an utterance chunk by chunk gives exactly the tokens and frame indices of decoding it whole.
/// Not thread-safe: one per stream.
/// </summary>
public sealed class CtcGreedyState
{
    private const int NoFrame = -1;

    public CtcGreedyState(int classes, int blank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(blank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(blank, classes);
        Classes = classes;
        Blank = blank;
    }

    public int Classes { get; }

    public int Blank { get; }

    /// <summary>Frames consumed so far: the absolute index of the next frame.</summary>
    public int FramesSeen { get; private set; }

    /// <summary>The argmax class of the last frame consumed; −1 before the first frame.</summary>
    public int PreviousLabel { get; private set; } = NoFrame;

    /// <summary>
    /// Consumes frames of log-probabilities [rows, <see cref="Classes"/>] row-major and writes the tokens they
    /// emit and each one's absolute frame index (the first frame of its run). At most one token per frame:
    /// both spans must hold at least <c>rows</c> entries.
    /// </summary>
    /// <returns>The number of tokens written.</returns>
    public int Advance(ReadOnlySpan<float> logProbs, Span<int> tokens, Span<int> frames)
    {
        if (logProbs.Length % Classes != 0)
        {
            throw new ArgumentException(
                $"logProbs has {logProbs.Length} floats, not a multiple of {Classes} classes", nameof(logProbs));
        }

        var rows = logProbs.Length / Classes;
        if (tokens.Length < rows || frames.Length < rows)
        {
            throw new ArgumentException(
                $"tokens/frames hold {Math.Min(tokens.Length, frames.Length)} entries; " +
                $"{rows} frames can emit up to {rows} tokens");
        }

        var count = 0;
        for (var t = 0; t < rows; t++)
        {
            var label = CtcGreedy.ArgMax(logProbs.Slice(t * Classes, Classes));
            if (label != Blank && label != PreviousLabel)
            {
                tokens[count] = label;
                frames[count] = FramesSeen + t;
                count++;
            }

            PreviousLabel = label;
        }

        FramesSeen += rows;
        return count;
    }

    /// <summary>Back to the start of a new utterance.</summary>
    public void Reset()
    {
        FramesSeen = 0;
        PreviousLabel = NoFrame;
    }
}
