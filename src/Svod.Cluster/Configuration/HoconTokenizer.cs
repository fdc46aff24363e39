namespace Svod.Cluster.Configuration;

/// <summary>
/// Splits HOCON text into tokens. Comments are dropped; whitespace and newlines are kept because value
/// concatenation preserves the former and the latter separate fields.
/// </summary>
internal sealed partial class HoconTokenizer
{
    // Forbidden in unquoted strings, besides whitespace and "//".
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    // Forbidden characters that have no meaning yet (reserved by the specification).
    private const string Reserved = "`^?!@*&\\";

    private static readonly (string Keyword, HoconTokenKind Kind)[] Keywords =
    [
        ("true", HoconTokenKind.True),
        ("false", HoconTokenKind.False),
        ("null", HoconTokenKind.Null),
    ];

    private readonly string _text;
    private readonly string _file;
    private readonly List<HoconToken> _tokens = [];
    private int _pos;
    private int _line = 1;
    private int _column = 1;

    private HoconTokenizer(string text, string file)
    {
        _text = text;
        _file = file;
    }

    public static List<HoconToken> Tokenize(string text, string file)
    {
        var tokenizer = new HoconTokenizer(text, file);
        tokenizer.Run();
        return tokenizer._tokens;
    }

    /// <summary>HOCON whitespace: Unicode separators, ASCII control separators and the BOM.</summary>
    public static bool IsWhitespace(char c) =>
        char.IsWhiteSpace(c) || c is '\uFEFF' or (>= '\u001C' and <= '\u001F');

    private void Run()
    {
        while (_pos < _text.Length)
        {
            var token = Next();
            if (token is not null)
            {
                _tokens.Add(token);
            }
        }

        _tokens.Add(new HoconToken(HoconTokenKind.End, "", Here()));
    }

    /// <summary>Reads one token, or returns null after a comment.</summary>
    private HoconToken? Next()
    {
        var c = _text[_pos];
        var origin = Here();
        if (c == '\n')
        {
            Advance(1);
            return new HoconToken(HoconTokenKind.Newline, "\n", origin);
        }

        if (IsWhitespace(c))
        {
            var start = _pos;
            while (_pos < _text.Length && _text[_pos] != '\n' && IsWhitespace(_text[_pos]))
            {
                Advance(1);
            }

            return new HoconToken(HoconTokenKind.Whitespace, _text[start.._pos], origin);
        }

        if (c == '#' || (c == '/' && Peek(1) == '/'))
        {
            while (_pos < _text.Length && _text[_pos] != '\n')
            {
                Advance(1);
            }

            return null;
        }

        var single = c switch
        {
            '{' => HoconTokenKind.OpenBrace,
            '}' => HoconTokenKind.CloseBrace,
            '[' => HoconTokenKind.OpenBracket,
            ']' => HoconTokenKind.CloseBracket,
            ',' => HoconTokenKind.Comma,
            ':' => HoconTokenKind.Colon,
            '=' => HoconTokenKind.Equals,
            _ => (HoconTokenKind?)null,
        };
        if (single is { } kind)
        {
            Advance(1);
            return new HoconToken(kind, c.ToString(), origin);
        }

        if (c == '"')
        {
            return ReadQuoted(origin);
        }

        if (c == '$')
        {
            return ReadSubstitution(origin);
        }

        if (c == '+')
        {
            if (Peek(1) != '=')
            {
                throw Error(origin, "unexpected '+' (did you mean '+='?)");
            }

            Advance(2);
            return new HoconToken(HoconTokenKind.PlusEquals, "+=", origin);
        }

        if (Reserved.Contains(c, StringComparison.Ordinal))
        {
            throw Error(origin, $"reserved character '{c}' is not allowed outside quotes");
        }

        return c is '-' or (>= '0' and <= '9') ? ReadNumber(origin) : ReadUnquoted(origin);
    }

    private HoconToken ReadUnquoted(HoconOrigin origin)
    {
        foreach (var (keyword, kind) in Keywords)
        {
            if (string.CompareOrdinal(_text, _pos, keyword, 0, keyword.Length) == 0)
            {
                Advance(keyword.Length);
                return new HoconToken(kind, keyword, origin);
            }
        }

        return ReadUnquotedRun(origin);
    }

    private HoconToken ReadUnquotedRun(HoconOrigin origin)
    {
        var start = _pos;
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (IsWhitespace(c) || Forbidden.Contains(c, StringComparison.Ordinal) || (c == '/' && Peek(1) == '/'))
            {
                break;
            }

            Advance(1);
        }

        return new HoconToken(HoconTokenKind.UnquotedText, _text[start.._pos], origin);
    }

    /// <summary>The longest prefix that is a JSON number; what follows is a separate token (`10.0bar`).</summary>
    private HoconToken ReadNumber(HoconOrigin origin)
    {
        var end = _pos;
        if (At(end) == '-')
        {
            end++;
        }

        if (!char.IsAsciiDigit(At(end)))
        {
            // Like the reference implementation, a '-' that starts no number is unquoted text (`v${n}-${m}`).
            return ReadUnquotedRun(origin);
        }

        if (At(end) == '0')
        {
            end++;
        }
        else
        {
            end = SkipDigits(end);
        }

        if (At(end) == '.' && char.IsAsciiDigit(At(end + 1)))
        {
            end = SkipDigits(end + 1);
        }

        if (At(end) is 'e' or 'E')
        {
            var exponent = end + 1;
            if (At(exponent) is '+' or '-')
            {
                exponent++;
            }

            if (char.IsAsciiDigit(At(exponent)))
            {
                end = SkipDigits(exponent);
            }
        }

        var text = _text[_pos..end];
        Advance(end - _pos);
        return new HoconToken(HoconTokenKind.Number, text, origin);
    }

    private int SkipDigits(int index)
    {
        while (char.IsAsciiDigit(At(index)))
        {
            index++;
        }

        return index;
    }

    private char At(int index) => index < _text.Length ? _text[index] : '\0';

    private char Peek(int offset) => At(_pos + offset);

    private HoconOrigin Here() => new(_file, _line, _column);

    private void Advance(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (_text[_pos] == '\n')
            {
                _line++;
                _column = 1;
            }
            else
            {
                _column++;
            }

            _pos++;
        }
    }

    private static HoconException Error(HoconOrigin origin, string reason) => new(origin, reason);

    private static string Describe(char c) => c switch
    {
        '\n' => "newline",
        _ when char.IsControl(c) => $"U+{(int)c:X4}",
        _ => $"'{c}'",
    };
}
