using FsCheck;
using FsCheck.Fluent;
using Svod.Gpu.Ctc;

namespace Svod.Gpu.Tests.Ctc;

/// <summary>Greedy CTC with GigaAM's CTCGreedyDecoding semantics, whole and chunked.</summary>
public sealed class CtcGreedyTests
{
    private const int Classes = 5;
    private const int Blank = Classes - 1;
    private const int B = Blank;

    [Theory]
    [InlineData(new[] { 0, 0, 1 }, new[] { 0, 1 }, new[] { 0, 2 })]
    [InlineData(new[] { 2, B, 2 }, new[] { 2, 2 }, new[] { 0, 2 })] // repeated across a blank: emitted twice
    [InlineData(new[] { 2, 2, 2, 2 }, new[] { 2 }, new[] { 0 })]
    [InlineData(new[] { B, B, 3, 3, B, 3, 1, 1, B }, new[] { 3, 3, 1 }, new[] { 2, 5, 6 })]
    [InlineData(new[] { B, B, B }, new int[0], new int[0])]
    [InlineData(new int[0], new int[0], new int[0])]
    public void Repeats_collapse_blanks_drop_and_each_token_gets_the_first_frame_of_its_run(
        int[] labels, int[] tokens, int[] frames)
    {
        var (actualTokens, actualFrames) = CtcGreedy.Decode(OneHot(labels), Classes, Blank);
        Assert.Equal(tokens, actualTokens);
        Assert.Equal(frames, actualFrames);
    }

    [Fact]
    public void Ties_go_to_the_first_class()
    {
        Assert.Equal(1, CtcGreedy.ArgMax([-3f, -0.5f, -0.5f, -1f]));
        Assert.Equal(0, CtcGreedy.ArgMax([-0.7f, -0.7f]));

        // A frame tied between token 1 and blank decodes as token 1, the lower index.
        float[] logProbs = [-9, -0.69f, -9, -9, -0.69f, /**/ -9, -9, -9, -9, -0.01f];
        Assert.Equal([1], CtcGreedy.Decode(logProbs, Classes, Blank).Tokens);
    }

    [Fact]
    public void Blank_need_not_be_the_last_class()
    {
        // k2/EESEN convention: blank 0.
        var (tokens, frames) = CtcGreedy.Decode(OneHot([0, 3, 3, 0, 3, 1, 0], classes: 4), 4, blank: 0);
        Assert.Equal([3, 3, 1], tokens);
        Assert.Equal([1, 4, 5], frames);
    }

    [Fact]
    public void Chunked_decoding_equals_whole_decoding_for_any_chunking()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var random = new Random(seed);
            var rows = random.Next(0, 80);
            var labels = Enumerable.Range(0, rows)
                .Select(_ => random.NextDouble() < 0.4 ? B : random.Next(0, Classes)).ToArray();
            var logProbs = Noisy(labels, random);
            var (tokens, frames) = CtcGreedy.Decode(logProbs, Classes, Blank);

            var state = new CtcGreedyState(Classes, Blank);
            var chunkTokens = new List<int>();
            var chunkFrames = new List<int>();
            var bufferTokens = new int[rows];
            var bufferFrames = new int[rows];
            for (var t = 0; t < rows;)
            {
                var n = Math.Min(rows - t, random.Next(0, 7)); // empty chunks too
                var count = state.Advance(logProbs.AsSpan(t * Classes, n * Classes), bufferTokens, bufferFrames);
                chunkTokens.AddRange(bufferTokens[..count]);
                chunkFrames.AddRange(bufferFrames[..count]);
                t += n;
            }

            Assert.Equal(rows, state.FramesSeen);
            Assert.Equal(tokens, chunkTokens);
            Assert.Equal(frames, chunkFrames);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Fact]
    public void A_chunk_boundary_inside_a_run_does_not_emit_again_and_reset_starts_over()
    {
        var state = new CtcGreedyState(Classes, Blank);
        var tokens = new int[4];
        var frames = new int[4];
        Assert.Equal(1, state.Advance(OneHot([B, 2]), tokens, frames));
        Assert.Equal((2, 1), (tokens[0], frames[0]));
        Assert.Equal(0, state.Advance(OneHot([2, 2]), tokens, frames));
        Assert.Equal(2, state.PreviousLabel);
        state.Reset();
        Assert.Equal(1, state.Advance(OneHot([2]), tokens, frames));
        Assert.Equal((2, 0), (tokens[0], frames[0]));
    }

    [Fact]
    public void Bad_shapes_are_refused()
    {
        var state = new CtcGreedyState(Classes, Blank);
        Assert.Throws<ArgumentException>(() => state.Advance(new float[Classes + 1], new int[2], new int[2]));
        Assert.Throws<ArgumentException>(() => state.Advance(new float[3 * Classes], new int[2], new int[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CtcGreedyState(Classes, Classes));
    }

    /// <summary>Log-probs [T, classes] whose argmax row by row is <paramref name="labels"/>.</summary>
    internal static float[] OneHot(int[] labels, int classes = Classes)
    {
        var logProbs = new float[labels.Length * classes];
        Array.Fill(logProbs, -5f);
        for (var t = 0; t < labels.Length; t++)
        {
            logProbs[(t * classes) + labels[t]] = -0.1f;
        }

        return logProbs;
    }

    private static float[] Noisy(int[] labels, Random random)
    {
        var logProbs = OneHot(labels);
        for (var i = 0; i < logProbs.Length; i++)
        {
            logProbs[i] -= (float)random.NextDouble() * 3;
        }

        for (var t = 0; t < labels.Length; t++)
        {
            logProbs[(t * Classes) + labels[t]] = 0;
        }

        return logProbs;
    }
}
