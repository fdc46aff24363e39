namespace Svod.Cluster.Configuration;

/// <summary>A string, number, boolean or null. Numbers keep the text they were written with ("1.0", "1e5").</summary>
public sealed class HoconScalar : HoconValue
{
    internal HoconScalar(HoconOrigin origin, HoconScalarKind kind, string? text)
        : base(origin)
    {
        Kind = kind;
        Text = text;
    }

    public HoconScalarKind Kind { get; }

    /// <summary>The raw text ("10s", "1.5", "true"); null for <see cref="HoconScalarKind.Null"/>.</summary>
    public string? Text { get; }

    internal override string TypeName => Kind switch
    {
        HoconScalarKind.String => "string",
        HoconScalarKind.Number => "number",
        HoconScalarKind.Boolean => "boolean",
        _ => "null",
    };

    internal static HoconScalar String(HoconOrigin origin, string text) => new(origin, HoconScalarKind.String, text);

    internal static HoconScalar Null(HoconOrigin origin) => new(origin, HoconScalarKind.Null, null);

    /// <summary>The text this value contributes to a string concatenation.</summary>
    internal string ConcatenationText => Text ?? "null";

    public override string ToString() => Text ?? "null";
}
