using System.Globalization;
using System.Text.RegularExpressions;

namespace Svod.Cluster.Configuration;

/// <summary>
/// The specification's units format: a number in the default unit (milliseconds, bytes), or a string of a number,
/// optional whitespace and a unit name made of letters.
/// </summary>
internal static partial class HoconUnits
{
    private const decimal TicksPerMillisecond = TimeSpan.TicksPerMillisecond;

    // Duration units are lowercase only; TimeSpan counts 100 ns ticks.
    private static readonly Dictionary<string, decimal> DurationTicks = Units(
        (0.01m, ["ns", "nano", "nanos", "nanosecond", "nanoseconds"]),
        (10m, ["us", "micro", "micros", "microsecond", "microseconds"]),
        (TicksPerMillisecond, ["ms", "milli", "millis", "millisecond", "milliseconds"]),
        (TimeSpan.TicksPerSecond, ["s", "second", "seconds"]),
        (TimeSpan.TicksPerMinute, ["m", "minute", "minutes"]),
        (TimeSpan.TicksPerHour, ["h", "hour", "hours"]),
        (TimeSpan.TicksPerDay, ["d", "day", "days"]));

    private static readonly Dictionary<string, decimal> ByteUnits = SizeUnits();

    public static bool IsJsonNumber(string text) => JsonNumber().IsMatch(text);

    public static bool TryParseDuration(HoconScalar value, out TimeSpan duration, out string? problem)
    {
        duration = default;
        if (!TrySplit(value, DurationTicks, TicksPerMillisecond, out var number, out var ticksPerUnit, out problem))
        {
            problem ??= "use a number of milliseconds or a number with ns, us, ms, s, m, h or d";
            return false;
        }

        var ticks = Multiply(number, ticksPerUnit);
        if (ticks is null || ticks < TimeSpan.MinValue.Ticks || ticks > TimeSpan.MaxValue.Ticks)
        {
            problem = "out of range";
            return false;
        }

        duration = TimeSpan.FromTicks((long)ticks.Value);
        return true;
    }

    public static bool TryParseBytes(HoconScalar value, out long bytes, out string? problem)
    {
        bytes = 0;
        if (!TrySplit(value, ByteUnits, 1m, out var number, out var unitBytes, out problem))
        {
            problem ??= "use a number of bytes or a number with B, kB, KiB, K, MB, MiB, M, ...";
            return false;
        }

        var result = Multiply(number, unitBytes);
        if (result is null || result > long.MaxValue)
        {
            problem = "out of range";
            return false;
        }

        if (result < 0)
        {
            problem = "negative";
            return false;
        }

        bytes = (long)result.Value;
        return true;
    }

    /// <summary>Whole units of the result, truncated toward zero; null on overflow.</summary>
    private static decimal? Multiply(decimal number, decimal unit)
    {
        try
        {
            return decimal.Truncate(number * unit);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static bool TrySplit(
        HoconScalar value, Dictionary<string, decimal> units, decimal defaultUnit,
        out decimal number, out decimal unit, out string? problem)
    {
        number = 0;
        unit = defaultUnit;
        problem = null;
        if (value.Kind is not (HoconScalarKind.Number or HoconScalarKind.String))
        {
            return false;
        }

        var text = value.Text!.Trim();
        var unitStart = text.Length;
        while (unitStart > 0 && char.IsLetter(text[unitStart - 1]))
        {
            unitStart--;
        }

        var unitName = text[unitStart..];
        var numberText = text[..unitStart].TrimEnd();
        if (unitName.Length > 0 && !units.TryGetValue(unitName, out unit))
        {
            problem = $"unknown unit '{unitName}'";
            return false;
        }

        return TryParseNumber(numberText, out number);
    }

    private static bool TryParseNumber(string text, out decimal number)
    {
        number = 0;
        if (!IsJsonNumber(text))
        {
            return false;
        }

        try
        {
            number = decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static Dictionary<string, decimal> Units(params (decimal Size, string[] Names)[] units) =>
        units.SelectMany(u => u.Names.Select(n => (Name: n, u.Size))).ToDictionary(u => u.Name, u => u.Size,
            StringComparer.Ordinal);

    /// <summary>Powers of ten (kB, MB, kilobyte) and of two (K, k, Ki, KiB, kibibyte), as the spec lists.</summary>
    private static Dictionary<string, decimal> SizeUnits()
    {
        string[] decimalNames = ["kilo", "mega", "giga", "tera", "peta", "exa", "zetta", "yotta"];
        string[] binaryNames = ["kibi", "mebi", "gibi", "tebi", "pebi", "exbi", "zebi", "yobi"];
        const string Letters = "KMGTPEZY";
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            ["B"] = 1, ["b"] = 1, ["byte"] = 1, ["bytes"] = 1,
        };
        decimal powerOfTen = 1;
        decimal powerOfTwo = 1;
        for (var i = 0; i < Letters.Length; i++)
        {
            powerOfTen *= 1000;
            powerOfTwo *= 1024;
            var letter = Letters[i].ToString();
            var lower = letter.ToLowerInvariant();
            units[i == 0 ? "kB" : letter + "B"] = powerOfTen;
            units[decimalNames[i] + "byte"] = powerOfTen;
            units[decimalNames[i] + "bytes"] = powerOfTen;
            foreach (var name in new[] { letter, lower, letter + "i", letter + "iB", binaryNames[i] + "byte",
                         binaryNames[i] + "bytes" })
            {
                units[name] = powerOfTwo;
            }
        }

        return units;
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();
}
