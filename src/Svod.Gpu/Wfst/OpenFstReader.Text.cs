using System.Globalization;

namespace Svod.Gpu.Wfst;

public static partial class OpenFstReader
{
    private const string FieldSeparators = " \t\r";

    /// <summary>An OpenFst text FST, numeric labels, as fstprint writes it; see
    /// <see cref="ReadText(TextReader, string)"/>.</summary>
    public static WfstGraph ReadText(string path) => ReadTextFile(path, ReadText);

    /// <summary>Opens a text file for <paramref name="read"/>; a missing file is an <see cref="FstFormatException"/>
    /// naming it.</summary>
    internal static T ReadTextFile<T>(string path, Func<TextReader, string, T> read)
    {
        try
        {
            using var reader = new StreamReader(path);
            return read(reader, path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FstFormatException($"{path}: file not found", e);
        }
    }

    /// <summary>
    /// Arc lines <c>src dst ilabel olabel [weight]</c> and final lines <c>state [weight]</c>, fields separated by
    /// spaces or tabs, blank lines skipped; a missing weight is 0 (the tropical one). As fstcompile with
    /// --keep_state_numbering reads it: state ids are kept, the state count is the largest id + 1, the start state
    /// is the first line's state, a later final line for a state replaces an earlier one. Labels and states are
    /// non-negative integers; weights are C floats or "Infinity". Errors name <paramref name="sourceName"/> and the
    /// line.
    /// </summary>
    public static WfstGraph ReadText(TextReader reader, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var arcs = new TextArcs();
        var finalStates = new List<int>();
        var finalWeights = new List<float>();
        var start = -1;
        var maxState = -1;
        Span<Range> fields = stackalloc Range[6];
        var lineNumber = 0;
        while (reader.ReadLine() is { } text)
        {
            lineNumber++;
            var line = text.AsSpan();
            var count = line.SplitAny(fields, FieldSeparators, StringSplitOptions.RemoveEmptyEntries);
            if (count == 0)
            {
                continue;
            }

            var where = new TextPosition(sourceName, lineNumber);
            var source = ParseState(line[fields[0]], where);
            switch (count)
            {
                case 1 or 2:
                    finalStates.Add(source);
                    finalWeights.Add(count == 2 ? ParseWeight(line[fields[1]], where) : 0f);
                    break;
                case 4 or 5:
                    var next = ParseState(line[fields[1]], where);
                    arcs.Add(source, next, ParseLabel(line[fields[2]], "input", where),
                        ParseLabel(line[fields[3]], "output", where),
                        count == 5 ? ParseWeight(line[fields[4]], where) : 0f);
                    maxState = Math.Max(maxState, next);
                    break;
                default:
                    throw where.Error(
                        $"expected 'src dst ilabel olabel [weight]' or 'state [weight]', found " +
                        (count == fields.Length ? "more than 5 fields" : $"{count} fields"));
            }

            maxState = Math.Max(maxState, source);
            if (start < 0)
            {
                start = source;
            }
        }

        var builder = new WfstGraphBuilder(maxState + 1, start, sourceName);
        for (var i = 0; i < finalStates.Count; i++)
        {
            builder.SetFinal(finalStates[i], finalWeights[i]);
        }

        arcs.CopyTo(builder);
        return builder.Build();
    }

    private static int ParseState(ReadOnlySpan<char> text, TextPosition where) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var state)
            && state < Array.MaxLength - 1
            ? state
            : throw where.Error($"bad state id '{text}': a non-negative integer is expected");

    private static int ParseLabel(ReadOnlySpan<char> text, string which, TextPosition where) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var label)
            ? label
            : throw where.Error($"bad {which} label '{text}': a non-negative integer is expected");

    /// <summary>As OpenFst's TropicalWeight reads it: "Infinity"/"-Infinity", else strtod (so also "inf", "nan")
    /// rounded to float.</summary>
    private static float ParseWeight(ReadOnlySpan<char> text, TextPosition where)
    {
        var body = text;
        var negative = false;
        if (body.Length > 0 && body[0] is '+' or '-')
        {
            negative = body[0] == '-';
            body = body[1..];
        }

        if (body.Equals("inf", StringComparison.OrdinalIgnoreCase)
            || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            return negative ? float.NegativeInfinity : float.PositiveInfinity;
        }

        if (body.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            return float.NaN;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? (float)value
            : throw where.Error($"bad weight '{text}': a float or 'Infinity' is expected");
    }

    /// <summary>A line of a text file, formatted only when an error needs it.</summary>
    private readonly record struct TextPosition(string Source, int Line)
    {
        public FstFormatException Error(string message) => new($"{Source}:{Line}: {message}");
    }
}
