using System.Globalization;

namespace Svod.Cluster.Configuration;

public sealed partial class HoconConfig
{
    /// <summary>Whether <paramref name="path"/> (dotted, quoted segments allowed) is set to a non-null value.</summary>
    public bool HasPath(string path) => Find(HoconPath.Parse(path)) is { } value && !IsNull(value);

    /// <summary>The value at <paramref name="path"/>, null included.</summary>
    public HoconValue GetValue(string path) => Find(HoconPath.Parse(path))
        ?? throw new HoconException(HoconOrigin.Config, $"path '{path}' is not set");

    /// <summary>Strings, and numbers and booleans as written.</summary>
    public string GetString(string path) => GetValue(path) is HoconScalar { Text: { } text }
        ? text
        : throw WrongType(path, "a string");

    public int GetInt(string path)
    {
        var value = GetLong(path, "an int");
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw WrongType(path, "an int");
    }

    public long GetLong(string path) => GetLong(path, "a long");

    public double GetDouble(string path) =>
        NumberText(path) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture,
            out var number)
            ? number
            : throw WrongType(path, "a number");

    /// <summary>Booleans, and the strings true/yes/on and false/no/off.</summary>
    public bool GetBoolean(string path) => GetValue(path) switch
    {
        HoconScalar { Kind: HoconScalarKind.Boolean, Text: var text } => text == "true",
        HoconScalar { Kind: HoconScalarKind.String, Text: "true" or "yes" or "on" } => true,
        HoconScalar { Kind: HoconScalarKind.String, Text: "false" or "no" or "off" } => false,
        _ => throw WrongType(path, "a boolean (true/false/yes/no/on/off)"),
    };

    /// <summary>A number of milliseconds, or a string of a number and a unit: `10s`, `500 ms`, `1.5h`.</summary>
    public TimeSpan GetDuration(string path)
    {
        var value = GetValue(path);
        string? problem = null;
        return value is HoconScalar scalar && HoconUnits.TryParseDuration(scalar, out var duration, out problem)
            ? duration
            : throw WrongType(path, value, "a duration", problem);
    }

    /// <summary>A number of bytes, or a string of a number and a unit: `64 MiB`, `1g`, `512k`, `10kB`.</summary>
    public long GetBytes(string path)
    {
        var value = GetValue(path);
        string? problem = null;
        return value is HoconScalar scalar && HoconUnits.TryParseBytes(scalar, out var bytes, out problem)
            ? bytes
            : throw WrongType(path, value, "a size in bytes", problem);
    }

    public IReadOnlyList<string> GetStringList(string path)
    {
        if (GetValue(path) is not HoconArray array)
        {
            throw WrongType(path, "an array of strings");
        }

        var items = new List<string>(array.Items.Count);
        for (var i = 0; i < array.Items.Count; i++)
        {
            items.Add(array.Items[i] is HoconScalar { Text: { } text }
                ? text
                : throw WrongType($"{path}[{i}]", array.Items[i], "a string"));
        }

        return items;
    }

    public HoconConfig GetConfig(string path) => GetValue(path) is HoconObject sub
        ? new HoconConfig(sub)
        : throw WrongType(path, "an object");

    private HoconValue? Find(IReadOnlyList<string> path)
    {
        HoconValue current = Root;
        foreach (var key in path)
        {
            if (current is not HoconObject node || !node.TryGetValue(key, out current!))
            {
                return null;
            }
        }

        return current;
    }

    private static bool IsNull(HoconValue value) => value is HoconScalar { Kind: HoconScalarKind.Null };

    private long GetLong(string path, string expected)
    {
        var text = NumberText(path) ?? throw WrongType(path, expected);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        // 1.0 and 1e3 are whole numbers too.
        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            && number == decimal.Truncate(number) && number is >= long.MinValue and <= long.MaxValue
                ? (long)number
                : throw WrongType(path, expected);
    }

    /// <summary>The text of a number, or of a string that is a JSON number (automatic conversion).</summary>
    private string? NumberText(string path) => GetValue(path) switch
    {
        HoconScalar { Kind: HoconScalarKind.Number, Text: var text } => text,
        HoconScalar { Kind: HoconScalarKind.String, Text: var text } when HoconUnits.IsJsonNumber(text!.Trim()) =>
            text.Trim(),
        _ => null,
    };

    private HoconException WrongType(string path, string expected) => WrongType(path, GetValue(path), expected);

    private static HoconException WrongType(string path, HoconValue value, string expected, string? problem = null)
    {
        var actual = value switch
        {
            HoconScalar { Kind: HoconScalarKind.String, Text: var text } => $"the string {HoconPath.Quote(text!)}",
            HoconScalar { Kind: HoconScalarKind.Null } => "null",
            HoconScalar scalar => $"the {scalar.TypeName} {scalar.Text}",
            _ => $"an {value.TypeName}",
        };
        var detail = problem is null ? "" : $" ({problem})";
        return new HoconException(value.Origin, $"'{path}' is {actual}, expected {expected}{detail}");
    }
}
