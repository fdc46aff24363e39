using Svod.Client.Protocol;
using Svod.Gpu.Text;

namespace Svod.Cluster.Channels;

/// <summary>
/// Words of a token sequence with their times: a word starts at a piece beginning with SentencePiece's <c>▁</c> or
/// after a whitespace piece (character vocabularies); it spans from its first token's frame to the end of its last.
/// </summary>
internal static class WordTimes
{
    public static IEnumerable<Word> Of(ITokenizer tokenizer, IReadOnlyList<int> tokens, IReadOnlyList<int> frames,
        float frameSeconds)
    {
        var start = -1;
        for (var i = 0; i <= tokens.Count; i++)
        {
            var piece = i < tokens.Count ? tokenizer.Piece(tokens[i]) : null;
            var space = piece is not null && string.IsNullOrWhiteSpace(piece);
            var begins = piece is not null && piece.StartsWith('\u2581');
            if (start >= 0 && (piece is null || space || begins))
            {
                var text = tokenizer.Decode(tokens.Skip(start).Take(i - start).ToArray()).Trim();
                if (text.Length > 0)
                {
                    yield return new Word
                    {
                        Text = text,
                        StartSeconds = frames[start] * frameSeconds,
                        EndSeconds = (frames[i - 1] + 1) * frameSeconds,
                    };
                }

                start = -1;
            }

            if (start < 0 && piece is not null && !space)
            {
                start = i;
            }
        }
    }
}
