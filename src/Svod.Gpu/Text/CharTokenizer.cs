using System.Text;

namespace Svod.Gpu.Text;

/// <summary>GigaAM's charwise tokenizer: token i is <c>vocabulary[i]</c>; text is the pieces concatenated.</summary>
public sealed class CharTokenizer : ITokenizer
{
    private readonly string[] _vocabulary;

    public CharTokenizer(IReadOnlyList<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _vocabulary = [.. vocabulary];
        for (var i = 0; i < _vocabulary.Length; i++)
        {
            if (_vocabulary[i] is null)
            {
                throw new ArgumentException($"vocabulary entry {i} is null", nameof(vocabulary));
            }
        }
    }

    public IReadOnlyList<string> Vocabulary => _vocabulary;

    public int Count => _vocabulary.Length;

    public string Piece(int id) => _vocabulary[CheckId(id)];

    public string Decode(ReadOnlySpan<int> ids)
    {
        if (ids.Length == 1)
        {
            return Piece(ids[0]);
        }

        var length = 0;
        foreach (var id in ids)
        {
            length += _vocabulary[CheckId(id)].Length;
        }

        var text = new StringBuilder(length);
        foreach (var id in ids)
        {
            text.Append(_vocabulary[id]);
        }

        return text.ToString();
    }

    private int CheckId(int id) =>
        (uint)id < (uint)_vocabulary.Length
            ? id
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token ids are 0..{_vocabulary.Length - 1}");
}
