namespace Svod.Cluster.Configuration;

internal enum HoconTokenKind
{
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    Comma,
    Colon,
    Equals,
    PlusEquals,
    Newline,
    Whitespace,
    QuotedString,
    UnquotedText,
    Number,
    True,
    False,
    Null,
    Substitution,
    End,
}

/// <summary>
/// One token. <see cref="Text"/> is the value for strings and numbers (escapes applied), the raw text otherwise.
/// Substitutions carry their parsed path.
/// </summary>
internal sealed record HoconToken(HoconTokenKind Kind, string Text, HoconOrigin Origin)
{
    public IReadOnlyList<string> Path { get; init; } = [];

    public bool Optional { get; init; }

    /// <summary>Tokens that may form a key or a path expression.</summary>
    public bool IsPathPart => Kind is HoconTokenKind.QuotedString or HoconTokenKind.UnquotedText
        or HoconTokenKind.Number or HoconTokenKind.True or HoconTokenKind.False or HoconTokenKind.Null
        or HoconTokenKind.Whitespace;

    public string Describe() => Kind switch
    {
        HoconTokenKind.End => "end of file",
        HoconTokenKind.Newline => "newline",
        HoconTokenKind.Whitespace => "whitespace",
        HoconTokenKind.QuotedString => $"string \"{Text}\"",
        HoconTokenKind.Substitution => $"substitution {Text}",
        _ => $"'{Text}'",
    };
}
