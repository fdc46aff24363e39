using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

/// <summary>The settings <see cref="SvodOptions"/> declares, as dotted HOCON paths with their types and defaults,
/// read from the options classes themselves (their <see cref="ConfigurationKeyNameAttribute"/> names).</summary>
public static class SvodOptionsSchema
{
    public sealed record Setting(string Path, Type Type, object? Default);

    public static IReadOnlyList<Setting> Settings { get; } = [.. Walk(typeof(SvodOptions), new SvodOptions(), SvodOptions.Root)];

    private static IEnumerable<Setting> Walk(Type type, object defaults, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
            var path = $"{prefix}.{name}";
            var value = property.GetValue(defaults);
            if (property.PropertyType.IsClass && property.PropertyType != typeof(string))
            {
                foreach (var setting in Walk(property.PropertyType, value!, path))
                {
                    yield return setting;
                }
            }
            else
            {
                yield return new Setting(path, property.PropertyType, value);
            }
        }
    }
}
