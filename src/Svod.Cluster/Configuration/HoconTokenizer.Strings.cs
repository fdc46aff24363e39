using System.Globalization;
using System.Text;

namespace Svod.Cluster.Configuration;

internal sealed partial class HoconTokenizer
{
    private HoconToken ReadQuoted(HoconOrigin origin)
    {
        if (Peek(1) == '"' && Peek(2) == '"')
        {
            return ReadTripleQuoted(origin);
        }

        Advance(1);
        var builder = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                throw Error(origin, "unterminated quoted string");
            }

            var c = _text[_pos];
            if (c == '"')
            {
                Advance(1);
                return new HoconToken(HoconTokenKind.QuotedString, builder.ToString(), origin);
            }

            if (c == '\\')
            {
                ReadEscape(builder);
                continue;
            }

            if (c < ' ')
            {
                throw Error(Here(), $"control character {Describe(c)} in quoted string (use an escape)");
            }

            builder.Append(c);
            Advance(1);
        }
    }

    private void ReadEscape(StringBuilder builder)
    {
        var origin = Here();
        var c = Peek(1);
        char? simple = c switch
        {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\b',
            'f' => '\f',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            _ => null,
        };
        if (simple is { } escaped)
        {
            builder.Append(escaped);
            Advance(2);
            return;
        }

        if (c == 'u' && _pos + 6 <= _text.Length
            && ushort.TryParse(_text.AsSpan(_pos + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture,
                out var code))
        {
            builder.Append((char)code);
            Advance(6);
            return;
        }

        throw Error(origin, c == 'u' ? "invalid \\u escape (four hex digits expected)"
            : $"invalid escape '\\{(_pos + 1 < _text.Length ? c.ToString() : "")}' in quoted string");
    }

    /// <summary>
    /// """...""": no escapes, newlines kept. Any run of three or more quotes closes it; quotes beyond the last
    /// three belong to the string (`"""foo""""` is `foo"`).
    /// </summary>
    private HoconToken ReadTripleQuoted(HoconOrigin origin)
    {
        var start = _pos + 3;
        var close = _text.IndexOf("\"\"\"", start, StringComparison.Ordinal);
        if (close < 0)
        {
            throw Error(origin, "unterminated triple-quoted string");
        }

        var end = close;
        while (end < _text.Length && _text[end] == '"')
        {
            end++;
        }

        var value = _text[start..(end - 3)];
        Advance(end - _pos);
        return new HoconToken(HoconTokenKind.QuotedString, value, origin);
    }

    /// <summary>`${path}` or `${?path}`: the path is a path expression (no nested substitutions).</summary>
    private HoconToken ReadSubstitution(HoconOrigin origin)
    {
        if (Peek(1) != '{')
        {
            throw Error(origin, "'$' must start a substitution '${...}'; quote strings that contain '$'");
        }

        var start = _pos;
        Advance(2);
        var optional = Peek(0) == '?';
        if (optional)
        {
            Advance(1);
        }

        var parts = new List<HoconToken>();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                throw Error(origin, "unterminated substitution (missing '}')");
            }

            var c = _text[_pos];
            if (c == '}')
            {
                Advance(1);
                break;
            }

            if (c != '"' && Forbidden.Contains(c, StringComparison.Ordinal))
            {
                throw Error(Here(), $"unexpected {Describe(c)} in substitution");
            }

            if (Next() is { } part)
            {
                parts.Add(part);
            }
        }

        var path = HoconPath.FromTokens(parts, origin, "substitution");
        return new HoconToken(HoconTokenKind.Substitution, _text[start.._pos], origin)
        {
            Path = path,
            Optional = optional,
        };
    }
}
