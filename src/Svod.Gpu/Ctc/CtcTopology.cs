using System.Globalization;

namespace Svod.Gpu.Ctc;

/// <summary>
/// The standard CTC topology "T" (EESEN's token FST without its epsilon arcs; k2's non-modified
/// <c>ctc_topo</c>): it maps a frame-level class sequence to its token sequence exactly as greedy CTC collapses
/// it — repeats merged, blanks dropped, a token repeated across a blank kept twice.
/// <list type="bullet">
/// <item>State 0 (start): "last frame was blank, or no frame yet". Blank loops on it; token k goes to k's state
/// and outputs k.</item>
/// <item>One state per token k: "last frame was k". k loops on it outputting epsilon; blank returns to state 0;
/// another token j moves to j's state and outputs j.</item>
/// <item>Every state is final with weight 0 (tropical one); every arc has weight 0. No epsilon inputs: each arc
/// consumes exactly one frame, so a T-frame utterance is a T-arc path.</item>
/// </list>
/// <para>
/// Labels follow OpenFst and Kaldi, where 0 is epsilon: <b>input label = class id + 1</b>, so the arc reads
/// log-prob column <c>ilabel − 1</c> (Kaldi's CudaDecoder scores an arc with <c>loglikes[ilabel − 1]</c>);
/// <b>output label = token id + 1</b>, token id being the class id of a non-blank class (GigaAM's token ids, as
/// its blank is the last class); 0 is epsilon. The blank's class id never appears as an output label.
/// </para>
/// <para>
/// Sizes: with C classes (tokens + blank) there are C states and C² arcs — about 1.05 M for GigaAM's 1025-class
/// BPE models. The arcs are not stored; <see cref="Arcs"/> and <see cref="WriteText"/> generate them in state
/// order, each state's arcs in input-label order (ilabel-sorted, as composition wants).
/// </para>
/// </summary>
public sealed class CtcTopology
{
    /// <summary>The start state (and the state after a blank).</summary>
    public const int StartState = 0;

    private CtcTopology(int classes, int blank)
    {
        Classes = classes;
        Blank = blank;
    }

    /// <summary>C: tokens + blank.</summary>
    public int Classes { get; }

    /// <summary>The blank's class id.</summary>
    public int Blank { get; }

    /// <summary>C: the start state plus one per token.</summary>
    public int StateCount => Classes;

    /// <summary>C²: C arcs leave every state, one per class.</summary>
    public long ArcCount => (long)Classes * Classes;

    /// <param name="numTokens">Classes including the blank (GigaAM's <c>num_classes</c>).</param>
    /// <param name="blank">The blank's class id (GigaAM: <c>numTokens − 1</c>).</param>
    public static CtcTopology Build(int numTokens, int blank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numTokens, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(blank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(blank, numTokens);

        // C² arcs must stay countable in an int, as OpenFst's arc ids and Kaldi's CUDA FST offsets are 32-bit.
        if ((long)numTokens * numTokens > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(numTokens), numTokens,
                $"{numTokens}² arcs do not fit in 32-bit arc offsets");
        }

        return new CtcTopology(numTokens, blank);
    }

    /// <summary>The state reached after a frame of class <paramref name="classId"/>: 0 for blank, else 1 + the
    /// token's index among the non-blank classes.</summary>
    public int StateOf(int classId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classId, Classes);
        return classId == Blank ? StartState : classId < Blank ? classId + 1 : classId;
    }

    /// <summary>The arc that leaves <paramref name="state"/> on class <paramref name="classId"/> (T is
    /// deterministic: exactly one per state and class).</summary>
    public CtcArc Arc(int state, int classId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(state);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(state, StateCount);
        var destination = StateOf(classId);
        var output = classId == Blank || destination == state ? 0 : classId + 1;
        return new CtcArc(state, destination, classId + 1, output, 0f);
    }

    /// <summary>All arcs: states in order, each state's arcs by input label.</summary>
    public IEnumerable<CtcArc> Arcs()
    {
        for (var state = 0; state < StateCount; state++)
        {
            for (var classId = 0; classId < Classes; classId++)
            {
                yield return Arc(state, classId);
            }
        }
    }

    /// <summary>
    /// OpenFst's text format, for <c>fstcompile</c>: one line per arc <c>src dst ilabel olabel weight</c>, the
    /// start state's arcs first (fstcompile takes the first line's source as the start state), then one line per
    /// final state <c>state weight</c>. Labels are numeric (see the class summary); no symbol table is needed.
    /// </summary>
    public void WriteText(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<char> line = stackalloc char[64];
        foreach (var arc in Arcs())
        {
            var ok = line.TryWrite(CultureInfo.InvariantCulture,
                $"{arc.Source} {arc.Destination} {arc.InputLabel} {arc.OutputLabel} {arc.Weight}\n", out var n);
            if (!ok)
            {
                throw new InvalidOperationException("arc line longer than 64 characters");
            }

            writer.Write(line[..n]);
        }

        for (var state = 0; state < StateCount; state++)
        {
            writer.Write(state.ToString(CultureInfo.InvariantCulture));
            writer.Write(" 0\n");
        }
    }
}
