using System.Buffers.Binary;
using System.Text;

namespace Svod.Gpu.Wfst;

public sealed partial class WfstGraph
{
    /// <summary>VectorFst's file version, as OpenFst 1.7/1.8 write it (and the oldest they read).</summary>
    private const int VectorFileVersion = 2;

    /// <summary>
    /// kExpanded | kMutable: the only property bits that hold for any VectorFst without looking at it. Every other
    /// bit is left "unknown", so OpenFst tests for what it needs (fstcompose checks arc sorting) rather than
    /// trusting a claim; a wrong "known" bit would silently mislead its algorithms.
    /// </summary>
    private const ulong VectorProperties = 0x1UL | 0x2UL;

    /// <summary>The per-state record (final weight float, arc count int64) and the arcs are copied through a
    /// buffer of this size, so a graph of any size is written with one allocation.</summary>
    private const int WriteBufferBytes = 1 << 16;

    private const int StateRecordBytes = sizeof(float) + sizeof(long);

    /// <summary>ilabel, olabel (int32), weight (float), nextstate (int32): StdArc's layout on disk.</summary>
    private const int ArcRecordBytes = 16;

    /// <summary>
    /// Writes the graph as an OpenFst binary VectorFst with standard (tropical) arcs, as fstcompile writes one and
    /// without symbol tables: the header (magic, "vector", "standard", version 2, flags 0, properties, start, state
    /// count, arc count), then per state its final weight (+∞ for OpenFst's Zero, not final), its arc count (int64)
    /// and its arcs, emitting first then non-emitting (the CSR order, so OpenFst sees the arcs of a state possibly
    /// reordered relative to the file this graph was read from). The properties claim only what every VectorFst
    /// has; OpenFst's tools test for the rest. An FST without a start state is written with start -1. Little-endian,
    /// as OpenFst writes on the machines it runs on. The stream is left open.
    /// </summary>
    public void WriteBinary(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new byte[WriteBufferBytes];
        var used = WriteHeader(buffer);
        for (var s = 0; s < NumStates; s++)
        {
            if (used + StateRecordBytes > buffer.Length)
            {
                stream.Write(buffer, 0, used);
                used = 0;
            }

            var emitting = _emittingOffsets[s + 1] - _emittingOffsets[s];
            var nonEmitting = _nonEmittingOffsets[s + 1] - _nonEmittingOffsets[s];
            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(used), _finals[s]);
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(used + sizeof(float)), emitting + nonEmitting);
            used += StateRecordBytes;
            used = WriteArcs(stream, buffer, used, _emittingOffsets[s], _emittingOffsets[s + 1]);
            used = WriteArcs(stream, buffer, used, _nonEmittingOffsets[s], _nonEmittingOffsets[s + 1]);
        }

        stream.Write(buffer, 0, used);
        stream.Flush();
    }

    /// <summary>Creates (or overwrites) <paramref name="path"/> with <see cref="WriteBinary(Stream)"/>.</summary>
    public void WriteBinary(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        WriteBinary(stream);
    }

    /// <summary>FstHeader as OpenFst writes it; the header of this type always fits the buffer.</summary>
    private int WriteHeader(Span<byte> buffer)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer, FstHeader.Magic);
        var at = sizeof(int);
        at = WriteString(buffer, at, "vector");
        at = WriteString(buffer, at, "standard");
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], VectorFileVersion);
        at += sizeof(int);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], 0); // flags: no symbol tables, not aligned
        at += sizeof(int);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[at..], VectorProperties);
        at += sizeof(ulong);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], Start < 0 ? -1 : Start);
        at += sizeof(long);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], NumStates);
        at += sizeof(long);
        // OpenFst's VectorFst writer leaves this 0 and its reader ignores it; the true count costs nothing here.
        BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], NumArcs);
        return at + sizeof(long);
    }

    /// <summary>OpenFst's string: int32 length, then the bytes.</summary>
    private static int WriteString(Span<byte> buffer, int at, string value)
    {
        var length = Encoding.ASCII.GetBytes(value, buffer[(at + sizeof(int))..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], length);
        return at + sizeof(int) + length;
    }

    private int WriteArcs(Stream stream, byte[] buffer, int used, int begin, int end)
    {
        for (var a = begin; a < end; a++)
        {
            if (used + ArcRecordBytes > buffer.Length)
            {
                stream.Write(buffer, 0, used);
                used = 0;
            }

            var arc = buffer.AsSpan(used, ArcRecordBytes);
            BinaryPrimitives.WriteInt32LittleEndian(arc, _ilabels[a]);
            BinaryPrimitives.WriteInt32LittleEndian(arc[4..], _olabels[a]);
            BinaryPrimitives.WriteSingleLittleEndian(arc[8..], _weights[a]);
            BinaryPrimitives.WriteInt32LittleEndian(arc[12..], _nextStates[a]);
            used += ArcRecordBytes;
        }

        return used;
    }
}
