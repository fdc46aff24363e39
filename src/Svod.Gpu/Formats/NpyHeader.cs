using System.Globalization;
using Svod.Gpu.Models;

namespace Svod.Gpu.Formats;

/// <summary>
/// The header of a .npy file: a Python dict literal such as
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>. Parsed with a small literal reader
/// (strings, integers, True/False/None, tuples, lists, dicts), never evaluated.
/// </summary>
internal sealed record NpyHeader(string Descr, bool FortranOrder, long[] Shape)
{
    public static NpyHeader Parse(string text, string path)
    {
        var reader = new LiteralReader(text, path);
        if (reader.ReadValue() is not Dictionary<string, object?> dict)
        {
            throw Bad(path, $"header is not a dict: {Quote(text)}");
        }

        reader.ExpectEnd();
        if (!dict.TryGetValue("descr", out var descr) || descr is not string descrText)
        {
            throw Bad(path, $"header has no 'descr' string (a structured dtype is not supported): {Quote(text)}");
        }

        if (!dict.TryGetValue("fortran_order", out var fortran) || fortran is not bool fortranOrder)
        {
            throw Bad(path, $"header has no 'fortran_order' True/False: {Quote(text)}");
        }

        if (!dict.TryGetValue("shape", out var shape) || shape is not List<object?> dims
            || dims.Any(d => d is not long n || n < 0))
        {
            throw Bad(path, $"header has no 'shape' tuple of non-negative integers: {Quote(text)}");
        }

        return new NpyHeader(descrText, fortranOrder, [.. dims.Select(d => (long)d!)]);
    }

    public string ShapeText => Shape.Length == 1 ? $"({Shape[0]},)" : $"({string.Join(", ", Shape)})";

    private static string Quote(string text) => text.Trim();

    private static ModelFormatException Bad(string path, string what) => new($"{path}: {what}");

    private sealed class LiteralReader(string text, string path)
    {
        private int _pos;

        public object? ReadValue()
        {
            SkipSpace();
            if (_pos >= text.Length)
            {
                throw Error("unexpected end");
            }

            var c = text[_pos];
            switch (c)
            {
                case '{':
                    return ReadDict();
                case '(':
                    return ReadSequence(')');
                case '[':
                    return ReadSequence(']');
                case '\'' or '"':
                    return ReadString();
            }

            if (c == '-' || char.IsAsciiDigit(c))
            {
                return ReadInteger();
            }

            var start = _pos;
            while (_pos < text.Length && char.IsAsciiLetter(text[_pos]))
            {
                _pos++;
            }

            return text[start.._pos] switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                var word => throw Error($"unexpected '{(word.Length > 0 ? word : c.ToString())}'"),
            };
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_pos != text.Length)
            {
                throw Error("text after the dict");
            }
        }

        private Dictionary<string, object?> ReadDict()
        {
            _pos++;
            var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (true)
            {
                SkipSpace();
                if (Peek() == '}')
                {
                    _pos++;
                    return dict;
                }

                if (ReadValue() is not string key)
                {
                    throw Error("dict key is not a string");
                }

                SkipSpace();
                Expect(':');
                dict[key] = ReadValue();
                if (!SeparatorOrClose('}'))
                {
                    return dict;
                }
            }
        }

        private List<object?> ReadSequence(char close)
        {
            _pos++;
            var items = new List<object?>();
            while (true)
            {
                SkipSpace();
                if (Peek() == close)
                {
                    _pos++;
                    return items;
                }

                items.Add(ReadValue());
                if (!SeparatorOrClose(close))
                {
                    return items;
                }
            }
        }

        /// <summary>Consumes ',' (true: more may follow) or the closing bracket (false: done).</summary>
        private bool SeparatorOrClose(char close)
        {
            SkipSpace();
            var c = Peek();
            _pos++;
            if (c == ',')
            {
                return true;
            }

            return c == close ? false : throw Error($"expected ',' or '{close}'");
        }

        private string ReadString()
        {
            var quote = text[_pos++];
            var end = text.IndexOf(quote, _pos);
            if (end < 0)
            {
                throw Error("unterminated string");
            }

            var value = text[_pos..end];
            _pos = end + 1;
            return value;
        }

        private long ReadInteger()
        {
            var start = _pos;
            if (text[_pos] == '-')
            {
                _pos++;
            }

            while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
            {
                _pos++;
            }

            // Python 2 era files may write long integers as 3L.
            var digits = text[start.._pos];
            if (_pos < text.Length && text[_pos] == 'L')
            {
                _pos++;
            }

            return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw Error($"bad integer '{digits}'");
        }

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw Error($"expected '{c}'");
            }

            _pos++;
        }

        private char Peek() => _pos < text.Length ? text[_pos] : throw Error("unexpected end");

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private ModelFormatException Error(string what) =>
            Bad(path, $"header is not a dict literal ({what} at character {_pos}): {Quote(text)}");
    }
}
