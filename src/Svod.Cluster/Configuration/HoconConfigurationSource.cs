using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

/// <summary>
/// HOCON as a <see cref="IConfigurationSource"/>, so configuration binding and options work unchanged. The files and
/// overrides are merged and resolved as one HOCON document (substitutions see every layer), then flattened into
/// <c>a:b:c</c> keys; array items become index keys (<c>a:0</c>, <c>a:1</c>) as with JSON.
/// </summary>
public sealed class HoconConfigurationSource : IConfigurationSource
{
    /// <summary>Files, later ones winning over earlier ones.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary><c>path=value</c> pairs that win over every file.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>Environment lookup for <c>${?VAR}</c> fallbacks; the process environment when null.</summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>An already loaded document; when set, <see cref="Files"/> and <see cref="Overrides"/> are not read.</summary>
    public HoconConfig? Config { get; init; }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new HoconConfigurationProvider(this);
}
