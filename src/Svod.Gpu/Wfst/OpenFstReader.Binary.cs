using System.Buffers.Binary;

namespace Svod.Gpu.Wfst;

public static partial class OpenFstReader
{
    /// <summary>ilabel, olabel (int32), weight (float), nextstate (int32): StdArc as OpenFst lays it out.</summary>
    private const int ArcBytes = 16;

    /// <summary>ConstFst's state: final weight (float), first arc, arc count, input- and output-epsilon counts
    /// (uint32 each, for the "const" type).</summary>
    private const int ConstStateBytes = 20;

    /// <summary>VectorFst's state: final weight (float), arc count (int64), then its arcs.</summary>
    private const int VectorStateBytes = 12;

    private const int VectorMinVersion = 2;
    private const int ConstMinVersion = 1;

    /// <summary>ConstFst version 1 files are always aligned.</summary>
    private const int ConstAlignedVersion = 1;

    private const int ArcChunk = 1 << 16;

    /// <summary>
    /// VectorFst: per state its final weight (float), arc count (int64), then the arcs. The header's arc count is
    /// not used (VectorFst leaves it 0); a state count of -1 means "until the end of the file".
    /// </summary>
    private static WfstGraph ReadVector(ref FstBinaryCursor cursor, FstHeader header)
    {
        if (header.Version < VectorMinVersion)
        {
            throw cursor.Error($"vector FST version {header.Version} is too old (at least {VectorMinVersion})");
        }

        var dataStart = cursor.Position;
        var numStates = header.NumStates;
        if (numStates == -1)
        {
            numStates = CountVectorStates(ref cursor);
            cursor.Position = dataStart;
        }

        // Every state takes at least its final weight and arc count: a garbage count fails before any allocation.
        if (!cursor.HasItems(numStates, VectorStateBytes))
        {
            throw cursor.Truncated($"the {numStates} states", (Int128)numStates * VectorStateBytes);
        }

        var builder = NewBuilder(ref cursor, header, numStates);
        var n = (int)numStates;
        for (var pass = 0; pass < 2; pass++)
        {
            cursor.Position = dataStart;
            for (var s = 0; s < n; s++)
            {
                if (!cursor.HasItems(1, VectorStateBytes))
                {
                    throw cursor.Truncated($"the final weight and arc count of state {s}", VectorStateBytes);
                }

                var state = cursor.Take(VectorStateBytes, "a state");
                var final = BinaryPrimitives.ReadSingleLittleEndian(state);
                var narcs = BinaryPrimitives.ReadInt64LittleEndian(state[4..]);
                if (narcs < 0)
                {
                    throw cursor.Error(
                        $"state {s} has a negative arc count ({narcs}) at byte {cursor.Position - sizeof(long)}");
                }

                if (!cursor.HasItems(narcs, ArcBytes))
                {
                    throw cursor.Truncated($"the {narcs} arcs of state {s}", (Int128)narcs * ArcBytes);
                }

                var arcsAt = cursor.Position;
                cursor.Position += narcs * ArcBytes;
                if (pass == 0)
                {
                    builder.SetFinal(s, final);
                    CountArcs(ref cursor, builder, s, arcsAt, narcs, n);
                }
                else
                {
                    AddArcs(ref cursor, builder, s, arcsAt, narcs);
                }
            }

            if (pass == 0)
            {
                builder.Allocate();
            }
        }

        return builder.Build();
    }

    private static long CountVectorStates(ref FstBinaryCursor cursor)
    {
        long count = 0;
        while (cursor.Remaining > 0)
        {
            if (!cursor.HasItems(1, VectorStateBytes))
            {
                throw cursor.Truncated($"the final weight and arc count of state {count}", VectorStateBytes);
            }

            var narcs = BinaryPrimitives.ReadInt64LittleEndian(cursor.Take(VectorStateBytes, "a state")[4..]);
            if (narcs < 0)
            {
                throw cursor.Error(
                    $"state {count} has a negative arc count ({narcs}) at byte {cursor.Position - sizeof(long)}");
            }

            if (!cursor.HasItems(narcs, ArcBytes))
            {
                throw cursor.Truncated($"the {narcs} arcs of state {count}", (Int128)narcs * ArcBytes);
            }

            cursor.Position += narcs * ArcBytes;
            count++;
        }

        return count;
    }

    /// <summary>
    /// ConstFst: an array of states (final weight and the range of their arcs in the arc array), then the array of
    /// arcs; with the aligned flag (or version 1) each array starts at a multiple of 16 bytes.
    /// </summary>
    private static WfstGraph ReadConst(ref FstBinaryCursor cursor, FstHeader header)
    {
        if (header.Version < ConstMinVersion)
        {
            throw cursor.Error($"const FST version {header.Version} is too old (at least {ConstMinVersion})");
        }

        if (header.NumArcs is < 0 or > uint.MaxValue)
        {
            throw cursor.Error($"the header's arc count {header.NumArcs} is out of range for a const FST");
        }

        var numArcs = header.NumArcs;
        var aligned = (header.Flags & FstHeader.IsAligned) != 0 || header.Version == ConstAlignedVersion;
        if (aligned)
        {
            cursor.Align("the padding before the states");
        }

        var statesAt = cursor.Position;
        if (!cursor.HasItems(header.NumStates, ConstStateBytes))
        {
            throw cursor.Truncated($"the {header.NumStates} states", (Int128)header.NumStates * ConstStateBytes);
        }

        var builder = NewBuilder(ref cursor, header, header.NumStates);
        var n = (int)header.NumStates;
        cursor.Position += (long)n * ConstStateBytes;
        if (aligned)
        {
            cursor.Align("the padding before the arcs");
        }

        var arcsStart = cursor.Position;
        cursor.Require(numArcs * ArcBytes, $"the {numArcs} arcs");
        for (var pass = 0; pass < 2; pass++)
        {
            for (var s = 0; s < n; s++)
            {
                var state = cursor.At(statesAt + ((long)s * ConstStateBytes), ConstStateBytes);
                long first = BinaryPrimitives.ReadUInt32LittleEndian(state[4..]);
                long narcs = BinaryPrimitives.ReadUInt32LittleEndian(state[8..]);
                if (first + narcs > numArcs)
                {
                    throw cursor.Error(
                        $"state {s} (at byte {statesAt + ((long)s * ConstStateBytes)}) has arcs {first}.." +
                        $"{first + narcs - 1}, beyond the {numArcs} arcs of the file");
                }

                var arcsAt = arcsStart + (first * ArcBytes);
                if (pass == 0)
                {
                    builder.SetFinal(s, BinaryPrimitives.ReadSingleLittleEndian(state));
                    CountArcs(ref cursor, builder, s, arcsAt, narcs, n);
                }
                else
                {
                    AddArcs(ref cursor, builder, s, arcsAt, narcs);
                }
            }

            if (pass == 0)
            {
                builder.Allocate();
            }
        }

        return builder.Build();
    }

    private static WfstGraphBuilder NewBuilder(ref FstBinaryCursor cursor, FstHeader header, long numStates)
    {
        if (numStates < 0 || numStates >= Array.MaxLength)
        {
            throw cursor.Error($"the state count {numStates} is out of range");
        }

        if (header.Start < -1 || header.Start >= numStates)
        {
            throw cursor.Error($"the start state {header.Start} is outside the {numStates} states");
        }

        return new WfstGraphBuilder((int)numStates, (int)header.Start, cursor.Path);
    }

    /// <summary>First pass over one state's arcs: validates them and counts emitting/non-emitting.</summary>
    private static void CountArcs(ref FstBinaryCursor cursor, WfstGraphBuilder builder, int state, long arcsAt,
        long narcs, int numStates)
    {
        for (long done = 0; done < narcs; done += ArcChunk)
        {
            var count = (int)Math.Min(ArcChunk, narcs - done);
            var chunkAt = arcsAt + (done * ArcBytes);
            var arcs = cursor.At(chunkAt, count * ArcBytes);
            for (var i = 0; i < count; i++)
            {
                var arc = arcs.Slice(i * ArcBytes, ArcBytes);
                var ilabel = BinaryPrimitives.ReadInt32LittleEndian(arc);
                var olabel = BinaryPrimitives.ReadInt32LittleEndian(arc[4..]);
                var next = BinaryPrimitives.ReadInt32LittleEndian(arc[12..]);
                if (ilabel < 0 || olabel < 0)
                {
                    throw cursor.Error($"the arc at byte {chunkAt + (i * ArcBytes)} of state {state} has a " +
                        $"negative label ({ilabel}:{olabel})");
                }

                if ((uint)next >= (uint)numStates)
                {
                    throw cursor.Error($"the arc at byte {chunkAt + (i * ArcBytes)} of state {state} goes to " +
                        $"state {next}, outside the {numStates} states");
                }

                builder.Count(state, ilabel);
            }
        }
    }

    /// <summary>Second pass: the arcs the first pass validated, into the graph.</summary>
    private static void AddArcs(ref FstBinaryCursor cursor, WfstGraphBuilder builder, int state, long arcsAt,
        long narcs)
    {
        for (long done = 0; done < narcs; done += ArcChunk)
        {
            var count = (int)Math.Min(ArcChunk, narcs - done);
            var arcs = cursor.At(arcsAt + (done * ArcBytes), count * ArcBytes);
            for (var i = 0; i < count; i++)
            {
                var arc = arcs.Slice(i * ArcBytes, ArcBytes);
                builder.Add(state,
                    BinaryPrimitives.ReadInt32LittleEndian(arc),
                    BinaryPrimitives.ReadInt32LittleEndian(arc[4..]),
                    BinaryPrimitives.ReadSingleLittleEndian(arc[8..]),
                    BinaryPrimitives.ReadInt32LittleEndian(arc[12..]));
            }
        }
    }
}
