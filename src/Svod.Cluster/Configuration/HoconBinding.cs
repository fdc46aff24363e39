using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

/// <summary>
/// Binds a HOCON subtree to an options class through <c>Microsoft.Extensions.Configuration</c>, after checking every
/// key and type with located errors. Values the standard binder cannot read in their HOCON form are given to it in
/// its own: durations (<c>10s</c>) for <see cref="TimeSpan"/>, <c>yes/no/on/off</c> for <see cref="bool"/>, sizes
/// (<c>64 MiB</c>) for <see cref="ByteSizeAttribute"/> longs.
/// </summary>
public static class HoconBinding
{
    /// <exception cref="ConfigurationException">an unknown key under <paramref name="root"/>, or a value of the wrong
    /// type; the message names the key and where it was set.</exception>
    public static T Bind<T>(HoconConfig hocon, string root)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(hocon);
        var schema = OptionsSchema.Of(typeof(T), root);
        var rewritten = Check(hocon, root, schema);
        try
        {
            var configuration = new ConfigurationBuilder().AddHocon(hocon).AddInMemoryCollection(rewritten).Build();
            return configuration.GetSection(root.Replace('.', ':')).Get<T>() ?? new T();
        }
        catch (HoconException e)
        {
            throw new ConfigurationException(e.Message, e);
        }
    }

    /// <summary>Where a path was set, for messages; "(defaults)" when no file sets it.</summary>
    public static string Origin(HoconConfig hocon, string path)
    {
        ArgumentNullException.ThrowIfNull(hocon);
        return hocon.HasPath(path) ? hocon.GetValue(path).Origin.ToString() : "(defaults)";
    }

    private static Dictionary<string, string?> Check(HoconConfig hocon, string root, IReadOnlyList<OptionsSchema.Setting> schema)
    {
        var rewritten = new Dictionary<string, string?>();
        if (!hocon.HasPath(root))
        {
            return rewritten;
        }

        var known = schema.ToDictionary(s => s.Path, StringComparer.Ordinal);
        try
        {
            foreach (var (key, _) in hocon.GetConfig(root).Flatten())
            {
                var path = $"{root}.{key.Replace(':', '.')}";
                if (known.TryGetValue(path, out var setting))
                {
                    if (Read(hocon, setting) is { } value)
                    {
                        rewritten[path.Replace('.', ':')] = value;
                    }

                    continue;
                }

                // Array items of a list setting flatten to "list:0", "list:1".
                if (known.Keys.Any(k => path.StartsWith(k + ".", StringComparison.Ordinal)))
                {
                    continue;
                }

                var group = path[..path.LastIndexOf('.')];
                var siblings = known.Keys.Where(k => k.StartsWith(group + ".", StringComparison.Ordinal))
                    .Select(k => k[(group.Length + 1)..]).ToArray();
                var hint = siblings.Length > 0 ? $" (known in {group}: {string.Join(", ", siblings)})" : "";
                throw new ConfigurationException($"{Origin(hocon, path)}: unknown setting {path}{hint}");
            }
        }
        catch (HoconException e)
        {
            throw new ConfigurationException(e.Message, e);
        }

        return rewritten;
    }

    /// <summary>Reads a setting with the HOCON getter of its type (a wrong type throws, located); returns the text the
    /// standard binder needs when it differs from the HOCON text, else null.</summary>
    private static string? Read(HoconConfig hocon, OptionsSchema.Setting setting)
    {
        var path = setting.Path;
        var type = Nullable.GetUnderlyingType(setting.Type) ?? setting.Type;
        if (type == typeof(TimeSpan))
        {
            return hocon.GetDuration(path).ToString("c", CultureInfo.InvariantCulture);
        }

        if (type == typeof(bool))
        {
            return hocon.GetBoolean(path) ? "true" : "false";
        }

        if (setting.IsByteSize)
        {
            return hocon.GetBytes(path).ToString(CultureInfo.InvariantCulture);
        }

        _ = type == typeof(int) ? hocon.GetInt(path)
            : type == typeof(long) ? hocon.GetLong(path)
            : type == typeof(double) ? hocon.GetDouble(path)
            : type == typeof(string) ? (object)hocon.GetString(path)
            : null;
        return null;
    }
}
