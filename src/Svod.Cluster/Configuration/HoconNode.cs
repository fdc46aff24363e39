namespace Svod.Cluster.Configuration;

/// <summary>
/// A node of the unresolved tree built by the parser: literals, objects and arrays as written, plus substitutions,
/// concatenations and merge stacks that only the resolver can turn into values.
/// </summary>
internal abstract class HoconNode(HoconOrigin origin)
{
    public HoconOrigin Origin { get; } = origin;

    /// <summary>
    /// Whether this node, as a field value, may refer to the field's previous value (`a = ${a} [1]`).
    /// Objects and arrays containing substitutions are not (per the specification).
    /// </summary>
    public virtual bool IsSelfReferential => false;
}

/// <summary>An already known value: a scalar from the text, or a value found while resolving.</summary>
internal sealed class HoconLiteral(HoconValue value) : HoconNode(value.Origin)
{
    public HoconValue Value { get; } = value;
}

/// <summary>Whitespace between two values of a concatenation; kept only when the result is a string.</summary>
internal sealed class HoconWhitespace(HoconOrigin origin, string text) : HoconNode(origin)
{
    public string Text { get; } = text;
}

internal sealed class HoconArrayNode(HoconOrigin origin, IReadOnlyList<HoconNode> items) : HoconNode(origin)
{
    public IReadOnlyList<HoconNode> Items { get; } = items;
}

/// <summary>
/// `${path}` or `${?path}`. <see cref="Prefix"/> is where the file holding it was included: such a
/// substitution is looked up at prefix + path first, then at path.
/// </summary>
internal sealed class HoconSubstitution(
    HoconOrigin origin, IReadOnlyList<string> path, bool optional, IReadOnlyList<string> prefix) : HoconNode(origin)
{
    public IReadOnlyList<string> Path { get; } = path;

    public bool Optional { get; } = optional;

    public IReadOnlyList<string> Prefix { get; } = prefix;

    public override bool IsSelfReferential => true;

    public override string ToString() => $"${{{(Optional ? "?" : "")}{HoconPath.Render(Path)}}}";
}

/// <summary>Values written next to each other on one line, at least one of them a substitution.</summary>
internal sealed class HoconConcatenation(HoconOrigin origin, IReadOnlyList<HoconNode> pieces) : HoconNode(origin)
{
    public IReadOnlyList<HoconNode> Pieces { get; } = pieces;

    public override bool IsSelfReferential => true;
}

/// <summary>
/// Successive values of one field that could not be merged while parsing because one of them is only known after
/// substitution; oldest first. Never nested: merging appends layers.
/// </summary>
internal sealed class HoconMergeStack(IReadOnlyList<HoconNode> layers) : HoconNode(layers[^1].Origin)
{
    public IReadOnlyList<HoconNode> Layers { get; } = layers;
}
