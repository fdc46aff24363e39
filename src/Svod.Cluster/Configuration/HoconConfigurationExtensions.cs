using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

public static class HoconConfigurationExtensions
{
    /// <summary>Adds one HOCON file (its includes and substitutions resolved).</summary>
    public static IConfigurationBuilder AddHoconFile(this IConfigurationBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HoconConfigurationSource { Files = [path] });
    }

    /// <summary>Adds HOCON files merged as one document (later files win), then <c>path=value</c> overrides.</summary>
    public static IConfigurationBuilder AddHocon(this IConfigurationBuilder builder, IEnumerable<string> files,
        IEnumerable<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HoconConfigurationSource { Files = [.. files], Overrides = [.. overrides ?? []] });
    }

    /// <summary>Adds an already loaded HOCON document.</summary>
    public static IConfigurationBuilder AddHocon(this IConfigurationBuilder builder, HoconConfig config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HoconConfigurationSource { Config = config });
    }
}
