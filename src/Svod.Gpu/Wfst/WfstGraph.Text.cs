using System.Globalization;

namespace Svod.Gpu.Wfst;

public sealed partial class WfstGraph
{
    /// <summary>
    /// Writes the graph as fstprint does without symbol tables, so that fstcompile reads it back (with
    /// --keep_state_numbering for the same ids): the start state first, then the others in order; per state its arcs
    /// (<c>src dst ilabel olabel [weight]</c>, emitting first) then, when it is final or has no arcs, its final line
    /// (<c>state [weight]</c>, "Infinity" for a state with no arcs that is not final). A weight of 0 is left out.
    /// Weights are written with the fewest digits that read back to the same float. An FST without a start
    /// state writes nothing, as its language is empty.
    /// </summary>
    public void WriteText(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (Start < 0)
        {
            return;
        }

        // src, dst, ilabel, olabel: at most 11 characters each; a float: at most 15 ("-1.17549435E-38").
        Span<char> line = stackalloc char[4 * 12 + 16 + 1];
        WriteState(writer, Start, line);
        for (var s = 0; s < NumStates; s++)
        {
            if (s != Start)
            {
                WriteState(writer, s, line);
            }
        }
    }

    private void WriteState(TextWriter writer, int state, Span<char> line)
    {
        WriteArcs(writer, state, _emittingOffsets[state], _emittingOffsets[state + 1], line);
        WriteArcs(writer, state, _nonEmittingOffsets[state], _nonEmittingOffsets[state + 1], line);
        var final = _finals[state];
        var hasArcs = _emittingOffsets[state] != _emittingOffsets[state + 1]
            || _nonEmittingOffsets[state] != _nonEmittingOffsets[state + 1];
        if (!float.IsPositiveInfinity(final) || !hasArcs)
        {
            var n = Append(line, 0, state);
            n = AppendWeight(line, n, final);
            line[n++] = '\n';
            writer.Write(line[..n]);
        }
    }

    private void WriteArcs(TextWriter writer, int state, int begin, int end, Span<char> line)
    {
        for (var a = begin; a < end; a++)
        {
            var n = Append(line, 0, state);
            line[n++] = '\t';
            n = Append(line, n, _nextStates[a]);
            line[n++] = '\t';
            n = Append(line, n, _ilabels[a]);
            line[n++] = '\t';
            n = Append(line, n, _olabels[a]);
            n = AppendWeight(line, n, _weights[a]);
            line[n++] = '\n';
            writer.Write(line[..n]);
        }
    }

    private static int Append(Span<char> line, int at, int value)
    {
        value.TryFormat(line[at..], out var written, default, CultureInfo.InvariantCulture);
        return at + written;
    }

    /// <summary>Tab and the weight, or nothing for the semiring one (0).</summary>
    private static int AppendWeight(Span<char> line, int at, float weight)
    {
        if (weight == 0f)
        {
            return at;
        }

        line[at++] = '\t';
        ReadOnlySpan<char> text = float.IsPositiveInfinity(weight) ? "Infinity"
            : float.IsNegativeInfinity(weight) ? "-Infinity"
            : float.IsNaN(weight) ? "BadNumber"
            : default;
        if (float.IsFinite(weight))
        {
            weight.TryFormat(line[at..], out var written, "R", CultureInfo.InvariantCulture);
            return at + written;
        }

        text.CopyTo(line[at..]);
        return at + text.Length;
    }
}
