namespace Svod.Cluster.Configuration;

/// <summary>
/// Builds the unresolved tree of one document (and the files it includes). Substitutions are kept as nodes;
/// resolving them is <see cref="HoconResolver"/>'s job, once every file and override is merged.
/// </summary>
internal sealed partial class HoconParser
{
    private readonly List<HoconToken> _tokens;
    private readonly string? _directory;
    private readonly IReadOnlyList<IncludedFile> _chain;

    // Where this document was included (empty for a top-level one): its substitutions are looked up there first.
    private readonly IReadOnlyList<string> _prefix;
    private int _index;

    private HoconParser(
        string text, string file, string? directory, IReadOnlyList<string> prefix, IReadOnlyList<IncludedFile> chain)
    {
        _tokens = HoconTokenizer.Tokenize(text, file);
        _directory = directory;
        _prefix = prefix;
        _chain = chain;
    }

    /// <summary>A file being parsed, for include-cycle detection: full path and the name used in messages.</summary>
    private readonly record struct IncludedFile(string FullPath, string Name);

    /// <summary>Parses text; includes are looked up in <paramref name="baseDirectory"/> (as given when null).</summary>
    public static HoconObjectNode ParseText(string text, string origin, string? baseDirectory) =>
        new HoconParser(text, origin, baseDirectory, [], []).ParseRoot();

    public static HoconObjectNode ParseFile(string path)
    {
        var text = ReadFile(path, new HoconOrigin(path, 0, 0)) ?? throw new HoconException(
            new HoconOrigin(path, 0, 0), "configuration file not found");
        return new HoconParser(text, path, Path.GetDirectoryName(path), [], [new(Path.GetFullPath(path), path)])
            .ParseRoot();
    }

    private HoconToken Peek => _tokens[_index];

    private HoconToken Take() => _tokens[_index++];

    private HoconObjectNode ParseRoot()
    {
        SkipWhitespace(newlines: true);
        var first = Peek;
        HoconObjectNode root;
        if (first.Kind == HoconTokenKind.OpenBracket)
        {
            throw new HoconException(first.Origin, "the root of a configuration must be an object, not an array");
        }

        if (first.Kind == HoconTokenKind.OpenBrace)
        {
            root = ParseBracedObject([]);
            SkipWhitespace(newlines: true);
        }
        else
        {
            root = new HoconObjectNode(first.Origin with { Line = 1, Column = 1 });
            ParseFields(root, [], HoconTokenKind.End, first.Origin);
        }

        if (Peek.Kind != HoconTokenKind.End)
        {
            throw new HoconException(Peek.Origin, Peek.Kind == HoconTokenKind.CloseBrace
                ? "unbalanced '}'"
                : $"unexpected {Peek.Describe()} after the root object");
        }

        return root;
    }

    private void SkipWhitespace(bool newlines)
    {
        while (Peek.Kind == HoconTokenKind.Whitespace || (newlines && Peek.Kind == HoconTokenKind.Newline))
        {
            _index++;
        }
    }

    /// <summary>Fields up to <paramref name="closer"/> (not consumed): commas or newlines between them.</summary>
    private void ParseFields(
        HoconObjectNode target, IReadOnlyList<string> path, HoconTokenKind closer, HoconOrigin opened)
    {
        while (true)
        {
            SkipWhitespace(newlines: true);
            var token = Peek;
            if (token.Kind == closer)
            {
                return;
            }

            switch (token.Kind)
            {
                case HoconTokenKind.End:
                    throw new HoconException(token.Origin,
                        $"expected '}}' to close the object opened at {opened.Line}:{opened.Column}");
                case HoconTokenKind.CloseBrace:
                    throw new HoconException(token.Origin, "unbalanced '}'");
                case HoconTokenKind.Comma:
                    throw new HoconException(token.Origin, "unexpected ','");
            }

            var key = ParseFieldOrInclude(target, path);
            if (ConsumeSeparator(closer) is { } bad)
            {
                throw new HoconException(bad.Origin, bad.Kind switch
                {
                    HoconTokenKind.CloseBrace => "unbalanced '}'",
                    HoconTokenKind.End => $"expected '}}' to close the object opened at {opened.Line}:{opened.Column}",
                    _ => $"expected ',' or a newline after {key}, found {bad.Describe()}",
                });
            }
        }
    }

    /// <summary>Parses one field or include into <paramref name="target"/>; returns its name for messages.</summary>
    private string ParseFieldOrInclude(HoconObjectNode target, IReadOnlyList<string> path)
    {
        if (Peek is { Kind: HoconTokenKind.UnquotedText, Text: "include" })
        {
            ParseInclude(target, path);
            return "the include";
        }

        var keyTokens = new List<HoconToken>();
        while (Peek.IsPathPart)
        {
            keyTokens.Add(Take());
        }

        if (keyTokens.Count == 0)
        {
            throw new HoconException(Peek.Origin, Peek.Kind == HoconTokenKind.Substitution
                ? "substitutions are not allowed in keys"
                : $"expected a key, found {Peek.Describe()}");
        }

        var keyOrigin = keyTokens[0].Origin;
        var keyPath = HoconPath.FromTokens(keyTokens, keyOrigin, "key");
        IReadOnlyList<string> fullPath = [.. path, .. keyPath];
        var separator = Peek;
        HoconNode value;
        switch (separator.Kind)
        {
            case HoconTokenKind.Colon or HoconTokenKind.Equals:
                _index++;
                SkipWhitespace(newlines: true);
                value = ParseValue(fullPath);
                break;
            case HoconTokenKind.PlusEquals:
                _index++;
                SkipWhitespace(newlines: true);
                var element = ParseValue(fullPath);

                // `a += x` is `a = ${?a} [x]`, the path absolute (no include prefix).
                value = new HoconConcatenation(separator.Origin,
                [
                    new HoconSubstitution(separator.Origin, fullPath, optional: true, prefix: []),
                    new HoconArrayNode(element.Origin, [element]),
                ]);
                break;
            case HoconTokenKind.OpenBrace:
                value = ParseValue(fullPath);
                break;
            default:
                throw new HoconException(separator.Origin,
                    $"expected '=' or ':' or '{{' after key '{HoconPath.Render(keyPath)}'");
        }

        target.SetPath(keyPath, value, keyOrigin);
        return $"'{HoconPath.Render(keyPath)}'";
    }

    private HoconObjectNode ParseBracedObject(IReadOnlyList<string> path)
    {
        var open = Take();
        var node = new HoconObjectNode(open.Origin);
        ParseFields(node, path, HoconTokenKind.CloseBrace, open.Origin);
        _index++;
        return node;
    }

    private HoconArrayNode ParseArray(IReadOnlyList<string> path)
    {
        var open = Take();
        var items = new List<HoconNode>();
        while (true)
        {
            SkipWhitespace(newlines: true);
            var token = Peek;
            switch (token.Kind)
            {
                case HoconTokenKind.CloseBracket:
                    _index++;
                    return new HoconArrayNode(open.Origin, items);
                case HoconTokenKind.Comma:
                    throw new HoconException(token.Origin, "unexpected ','");
                case HoconTokenKind.End:
                    throw new HoconException(token.Origin,
                        $"expected ']' to close the array opened at {open.Origin.Line}:{open.Origin.Column}");
            }

            items.Add(ParseValue(path));
            if (ConsumeSeparator(HoconTokenKind.CloseBracket) is { } bad)
            {
                throw new HoconException(bad.Origin, bad.Kind == HoconTokenKind.End
                    ? $"expected ']' to close the array opened at {open.Origin.Line}:{open.Origin.Column}"
                    : $"expected ',' or a newline or ']' after an array element, found {bad.Describe()}");
            }
        }
    }

    /// <summary>
    /// After a field or an array element: one comma (then any whitespace), a newline, or the closer. Returns the
    /// token that stands there instead, for the caller's own message; null when the separator is fine.
    /// </summary>
    private HoconToken? ConsumeSeparator(HoconTokenKind closer)
    {
        SkipWhitespace(newlines: false);
        var token = Peek;
        if (token.Kind == HoconTokenKind.Comma)
        {
            _index++;
            SkipWhitespace(newlines: true);
            return Peek.Kind == HoconTokenKind.Comma ? throw new HoconException(Peek.Origin, "unexpected ','") : null;
        }

        return token.Kind == HoconTokenKind.Newline || token.Kind == closer ? null : token;
    }
}
