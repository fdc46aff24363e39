namespace Svod.Cluster.Configuration;

/// <summary>
/// A resolved HOCON configuration (https://github.com/lightbend/config/blob/main/HOCON.md): files and
/// overrides merged in order, then every substitution resolved once over the merged tree.
/// </summary>
public sealed partial class HoconConfig
{
    private const string OverrideOrigin = "(override)";
    private const string ReferenceOrigin = "(reference)";

    private HoconConfig(HoconObject root) => Root = root;

    public HoconObject Root { get; }

    /// <summary>
    /// Parses each file (later files win: merged with the earlier ones as fallback), then the overrides
    /// ("path=value", the value parsed as a HOCON value, e.g. "svod.lanes.count=128", "a.b=\"x y\"", "a=[1,2]"),
    /// which win over every file, then resolves substitutions once over the merged tree.
    /// </summary>
    /// <param name="environment">Fallback for substitutions not found in the configuration; defaults to
    /// <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <param name="reference">HOCON text below every file: the defaults (origin "(reference)"). It is resolved
    /// together with the rest, so its substitutions see the files and overrides.</param>
    public static HoconConfig Load(
        IEnumerable<string> files, IEnumerable<string>? overrides = null, Func<string, string?>? environment = null,
        string? reference = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        HoconNode merged = reference is null
            ? new HoconObjectNode(HoconOrigin.Config)
            : HoconParser.ParseText(reference, ReferenceOrigin, null);
        foreach (var file in files)
        {
            merged = HoconObjectNode.Merge(merged, HoconParser.ParseFile(file));
        }

        foreach (var setting in overrides ?? [])
        {
            merged = HoconObjectNode.Merge(merged, HoconParser.ParseText(setting, OverrideOrigin, null));
        }

        return new HoconConfig(HoconResolver.Resolve((HoconObjectNode)merged, environment ?? DefaultEnvironment));
    }

    /// <summary>Parses and resolves one document; <paramref name="origin"/> names it in messages.</summary>
    /// <param name="baseDirectory">Where relative includes are looked up; without it they are used as given.</param>
    public static HoconConfig ParseString(
        string text, string origin = "(string)", string? baseDirectory = null,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var root = HoconParser.ParseText(text, origin, baseDirectory);
        return new HoconConfig(HoconResolver.Resolve(root, environment ?? DefaultEnvironment));
    }

    private static string? DefaultEnvironment(string name) => Environment.GetEnvironmentVariable(name);

    /// <summary>Plain JSON of the resolved tree (numbers as written, keys in order).</summary>
    public string ToJson(bool indented = true) => HoconRenderer.ToJson(Root, indented);

    /// <summary>
    /// Readable HOCON of the resolved tree that parses back to the same values. When <paramref name="mask"/>
    /// returns true for a dotted path ("svod.db.password"), the value there is printed as &lt;masked&gt;.
    /// </summary>
    public string ToHocon(Func<string, bool>? mask = null) => HoconRenderer.ToHocon(Root, mask);

    /// <summary>
    /// Leaves as IConfiguration pairs: keys joined by ':', array items by index ("a:b:0"), the scalar text as value
    /// (null for null); empty objects and arrays produce nothing.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> Flatten() => HoconRenderer.Flatten(Root);
}
