namespace Svod.Gpu.Text;

/// <summary>Maps token ids (excluding blank) to text, as GigaAM's <c>Tokenizer</c>.</summary>
public interface ITokenizer
{
    /// <summary>Number of tokens; GigaAM's blank id equals this count.</summary>
    int Count { get; }

    /// <summary>The piece of one token as stored (SentencePiece pieces keep their <c>▁</c>).</summary>
    string Piece(int id);

    /// <summary>Text of a token sequence, as GigaAM's <c>Tokenizer.decode</c>.</summary>
    string Decode(ReadOnlySpan<int> ids);
}
