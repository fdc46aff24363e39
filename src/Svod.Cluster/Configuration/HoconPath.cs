using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Svod.Cluster.Configuration;

/// <summary>Path expressions (`a.b."c.d"`): parsing from tokens or text, and rendering back.</summary>
internal static class HoconPath
{
    /// <summary>
    /// Joins key or substitution tokens into path elements: `.` outside quoted strings separates elements
    /// (also inside numbers: `1.5` is two elements), leading and trailing whitespace is dropped.
    /// </summary>
    public static IReadOnlyList<string> FromTokens(IReadOnlyList<HoconToken> tokens, HoconOrigin origin, string what)
    {
        var first = 0;
        var last = tokens.Count - 1;
        while (first <= last && tokens[first].Kind == HoconTokenKind.Whitespace)
        {
            first++;
        }

        while (last >= first && tokens[last].Kind == HoconTokenKind.Whitespace)
        {
            last--;
        }

        if (first > last)
        {
            throw new HoconException(origin, $"empty {what} path");
        }

        var elements = new List<string>();
        var current = new StringBuilder();
        var hasContent = false;
        for (var i = first; i <= last; i++)
        {
            var token = tokens[i];
            if (token.Kind == HoconTokenKind.QuotedString)
            {
                current.Append(token.Text);
                hasContent = true;
                continue;
            }

            foreach (var c in token.Text)
            {
                if (c != '.')
                {
                    current.Append(c);
                    hasContent = true;
                    continue;
                }

                if (!hasContent)
                {
                    throw EmptyElement(tokens, first, last, origin, what);
                }

                elements.Add(current.ToString());
                current.Clear();
                hasContent = false;
            }
        }

        if (!hasContent)
        {
            throw EmptyElement(tokens, first, last, origin, what);
        }

        elements.Add(current.ToString());
        return elements;
    }

    /// <summary>Parses a path given to the API ("a.b", "a.\"b.c\""); errors have no file location.</summary>
    public static IReadOnlyList<string> Parse(string path)
    {
        try
        {
            var tokens = HoconTokenizer.Tokenize(path, "(config)");
            var parts = tokens.Take(tokens.Count - 1).ToList();
            if (parts.FirstOrDefault(t => !t.IsPathPart) is { } bad)
            {
                throw new HoconException(bad.Origin, $"unexpected {bad.Describe()}");
            }

            return FromTokens(parts, HoconOrigin.Config, "");
        }
        catch (HoconException e)
        {
            throw new HoconException(HoconOrigin.Config, $"invalid path '{path}': {e.Reason}");
        }
    }

    public static string Render(IEnumerable<string> path) => string.Join('.', path.Select(RenderKey));

    public static string Append(string path, string key) =>
        path.Length == 0 ? RenderKey(key) : path + "." + RenderKey(key);

    /// <summary>A key as it can be written back in HOCON: bare when that parses to the same single element.</summary>
    public static string RenderKey(string key) => IsBareKey(key) ? key : Quote(key);

    public static string Quote(string text) => JsonSerializer.Serialize(text, QuoteOptions);

    private static readonly JsonSerializerOptions QuoteOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static bool IsBareKey(string key)
    {
        if (key.Length == 0 || key == "include" || !(char.IsAsciiLetter(key[0]) || key[0] == '_'))
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static HoconException EmptyElement(
        IReadOnlyList<HoconToken> tokens, int first, int last, HoconOrigin origin, string what)
    {
        var text = string.Concat(tokens.Skip(first).Take(last - first + 1)
            .Select(t => t.Kind == HoconTokenKind.QuotedString ? Quote(t.Text) : t.Text));
        var kind = what.Length == 0 ? "path" : $"{what} path";
        return new HoconException(origin,
            $"invalid {kind} '{text}': empty path element (a path may not start or end with '.' or contain '..'; " +
            "quote an empty key as \"\")");
    }
}
