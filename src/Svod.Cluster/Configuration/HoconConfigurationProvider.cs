using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

/// <summary>Loads a <see cref="HoconConfigurationSource"/>; parse and resolution errors surface as
/// <see cref="HoconException"/> with file, line and column.</summary>
public sealed class HoconConfigurationProvider(HoconConfigurationSource source) : ConfigurationProvider
{
    public override void Load()
    {
        var config = source.Config ?? HoconConfig.Load(source.Files, source.Overrides, source.Environment);
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in config.Flatten())
        {
            data[key] = value;
        }

        Data = data;
    }
}
