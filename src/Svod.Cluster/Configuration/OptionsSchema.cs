using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

/// <summary>
/// The settings an options class declares, as dotted HOCON paths with their types and defaults, read from the class
/// itself: <see cref="ConfigurationKeyNameAttribute"/> names, nested classes as groups, <see cref="ByteSizeAttribute"/>.
/// </summary>
public static class OptionsSchema
{
    public sealed record Setting(string Path, Type Type, object? Default, bool IsByteSize);

    public static IReadOnlyList<Setting> Of(Type type, string root)
    {
        ArgumentNullException.ThrowIfNull(type);
        return [.. Walk(type, Activator.CreateInstance(type)!, root)];
    }

    private static IEnumerable<Setting> Walk(Type type, object defaults, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
            var path = $"{prefix}.{name}";
            var value = property.GetValue(defaults);
            var type2 = property.PropertyType;
            var leaf = type2.IsPrimitive || type2.IsEnum || type2 == typeof(string) || type2 == typeof(TimeSpan) ||
                type2 == typeof(decimal) || Nullable.GetUnderlyingType(type2) is not null ||
                type2.IsAssignableTo(typeof(System.Collections.IEnumerable));
            if (!leaf)
            {
                foreach (var setting in Walk(type2, value!, path))
                {
                    yield return setting;
                }
            }
            else
            {
                yield return new Setting(path, type2, value, property.GetCustomAttribute<ByteSizeAttribute>() is not null);
            }
        }
    }
}
