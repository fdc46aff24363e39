namespace Svod.Cluster.Configuration;

/// <summary>Where a value or an error comes from: a file (or a name for parsed text), 1-based line, column.</summary>
public sealed record HoconOrigin(string File, int Line, int Column)
{
    /// <summary>Origin of problems that have no place in a file, such as asking for a path that is not set.</summary>
    internal static HoconOrigin Config { get; } = new("(config)", 0, 0);

    public override string ToString() => $"{File}:{Line}:{Column}";
}
