using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Svod.Gpu.Decoding;

namespace Svod.Gpu.Wfst;

/// <summary>
/// A WFST channel's bytes, version 1, little-endian:
/// <code>
/// 0  u32 magic "SVWF"  4 u16 version  6 u16 0  8 i32 graph states  12 i32 graph arcs  16 i32 classes
/// 20 i32 frames decoded  24 i32 frames kept F  28 i32 nodes N  32 i32 tokens K  36 f32 beam
/// 40 i32 overflows  44 i32 max-active cuts  48 i32 dead-end frame (-1: none)
/// 52 i32 frame first node[F], f64 frame offset[F], node (i32 state, f32 cost, i32 first token)[N],
///    token (i32 previous node, i32 arc, f32 acoustic cost)[K], u32 FNV-1a of every byte before it
/// </code>
/// </summary>
internal sealed partial class WfstChannel
{
    public const uint Magic = 0x46575653; // "SVWF"
    public const ushort Version = 1;
    private const int HeaderSize = 52;

    public int StateSize => HeaderSize + 12 * FrameCount + 12 * NodeCount + 12 * TokenCount + 4;

    public int Write(Span<byte> destination, WfstGraph graph, int classes)
    {
        var size = StateSize;
        if (destination.Length < size)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes, the state needs {size}",
                nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], graph.NumStates);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], graph.NumArcs);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], classes);
        BinaryPrimitives.WriteInt32LittleEndian(destination[20..], FramesDecoded);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], FrameCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[28..], NodeCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[32..], TokenCount);
        BinaryPrimitives.WriteSingleLittleEndian(destination[36..], Beam);
        BinaryPrimitives.WriteInt32LittleEndian(destination[40..], Overflows);
        BinaryPrimitives.WriteInt32LittleEndian(destination[44..], MaxActiveCuts);
        BinaryPrimitives.WriteInt32LittleEndian(destination[48..], DeadEndFrame);
        var at = HeaderSize;
        at += Copy(MemoryMarshal.AsBytes(_frameStart.AsSpan(0, FrameCount)), destination[at..]);
        at += Copy(MemoryMarshal.AsBytes(_frameOffset.AsSpan(0, FrameCount)), destination[at..]);
        at += Copy(MemoryMarshal.AsBytes(Nodes), destination[at..]);
        at += Copy(MemoryMarshal.AsBytes(Tokens), destination[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], ChannelStateFormat.Fnv1A(destination[..at]));
        return size;

        static int Copy(ReadOnlySpan<byte> from, Span<byte> to)
        {
            from.CopyTo(to);
            return from.Length;
        }
    }

    /// <summary>Replaces this channel with saved bytes, after checking that they are a whole state of this graph
    /// whose every index is in range; throws <see cref="FormatException"/> otherwise, leaving it unchanged.</summary>
    public void Read(ReadOnlySpan<byte> state, WfstGraph graph, int classes)
    {
        if (state.Length < HeaderSize + 4)
        {
            throw new FormatException($"WFST channel state is {state.Length} bytes, shorter than its header");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(state) != Magic)
        {
            throw new FormatException("channel state has no SVWF magic: not a Svod WFST channel state");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(state[4..]);
        if (version != Version)
        {
            throw new FormatException($"WFST channel state version {version} is not supported (this build reads {Version})");
        }

        int states = BinaryPrimitives.ReadInt32LittleEndian(state[8..]), arcs = BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        var stateClasses = BinaryPrimitives.ReadInt32LittleEndian(state[16..]);
        if (states != graph.NumStates || arcs != graph.NumArcs || stateClasses != classes)
        {
            throw new FormatException(
                $"channel state is for a graph of {states} states and {arcs} arcs with {stateClasses} classes; this " +
                $"decoder has {graph.NumStates} states, {graph.NumArcs} arcs, {classes} classes");
        }

        var frames = BinaryPrimitives.ReadInt32LittleEndian(state[20..]);
        var frameCount = BinaryPrimitives.ReadInt32LittleEndian(state[24..]);
        var nodeCount = BinaryPrimitives.ReadInt32LittleEndian(state[28..]);
        var tokenCount = BinaryPrimitives.ReadInt32LittleEndian(state[32..]);
        if (frameCount < 1 || nodeCount < 1 || tokenCount < 1 ||
            state.Length != HeaderSize + 12L * frameCount + 12L * nodeCount + 12L * tokenCount + 4)
        {
            throw new FormatException(
                $"WFST channel state is {state.Length} bytes, which does not fit its {frameCount} frames, " +
                $"{nodeCount} nodes and {tokenCount} tokens");
        }

        var body = state.Length - 4;
        if (ChannelStateFormat.Fnv1A(state[..body]) != BinaryPrimitives.ReadUInt32LittleEndian(state[body..]))
        {
            throw new FormatException("WFST channel state checksum mismatch: the bytes are corrupted");
        }

        var at = HeaderSize;
        var frameStart = MemoryMarshal.Cast<byte, int>(state.Slice(at, 4 * frameCount));
        var frameOffset = MemoryMarshal.Cast<byte, double>(state.Slice(at += 4 * frameCount, 8 * frameCount));
        var nodes = MemoryMarshal.Cast<byte, Node>(state.Slice(at += 8 * frameCount, 12 * nodeCount));
        var tokens = MemoryMarshal.Cast<byte, Token>(state.Slice(at + 12 * nodeCount, 12 * tokenCount));
        var deadEnd = BinaryPrimitives.ReadInt32LittleEndian(state[48..]);
        Check(frames, frameCount, deadEnd, frameStart, nodes, tokens, graph);

        FramesDecoded = frames;
        Beam = BinaryPrimitives.ReadSingleLittleEndian(state[36..]);
        Overflows = BinaryPrimitives.ReadInt32LittleEndian(state[40..]);
        MaxActiveCuts = BinaryPrimitives.ReadInt32LittleEndian(state[44..]);
        DeadEndFrame = deadEnd;
        FrameCount = 0;
        NodeCount = 0;
        TokenCount = 0;
        EnsureCapacity(ref _frameStart, frameCount);
        EnsureCapacity(ref _frameOffset, frameCount);
        EnsureCapacity(ref _nodes, nodeCount);
        EnsureCapacity(ref _tokens, tokenCount);
        frameStart.CopyTo(_frameStart);
        frameOffset.CopyTo(_frameOffset);
        nodes.CopyTo(_nodes);
        tokens.CopyTo(_tokens);
        FrameCount = frameCount;
        NodeCount = nodeCount;
        TokenCount = tokenCount;
    }

    private static void Check(int frames, int frameCount, int deadEnd, ReadOnlySpan<int> frameStart,
        ReadOnlySpan<Node> nodes, ReadOnlySpan<Token> tokens, WfstGraph graph)
    {
        if (deadEnd < -1 || deadEnd >= frames || frames < frameCount - 1 ||
            (deadEnd < 0 ? frames != frameCount - 1 : deadEnd != frameCount - 1))
        {
            throw new FormatException(
                $"WFST channel state counts disagree: {frames} frames decoded, {frameCount} kept, dead end {deadEnd}");
        }

        for (var f = 0; f < frameCount; f++)
        {
            var end = f + 1 < frameCount ? frameStart[f + 1] : nodes.Length;
            if ((f == 0 && frameStart[0] != 0) || frameStart[f] >= end)
            {
                throw new FormatException($"WFST channel state frame {f} has no nodes or starts out of order");
            }

            for (var n = frameStart[f]; n < end; n++)
            {
                var first = nodes[n].FirstToken;
                var tokenEnd = n + 1 < nodes.Length ? nodes[n + 1].FirstToken : tokens.Length;
                if ((uint)nodes[n].State >= (uint)graph.NumStates || first < 0 || first >= tokenEnd ||
                    (n == 0 && first != 0))
                {
                    throw new FormatException($"WFST channel state node {n} has a state or token range out of range");
                }

                for (var t = first; t < tokenEnd; t++)
                {
                    var start = t == 0 && tokens[t].Arc == -1 && tokens[t].PrevNode == -1;
                    var arcOk = (uint)tokens[t].Arc < (uint)graph.NumArcs &&
                        graph.NextStates[tokens[t].Arc] == nodes[n].State;
                    // An emitting arc leaves a node of the previous frame, an epsilon arc one of this frame.
                    var emitting = tokens[t].Arc < graph.NumEmittingArcs;
                    var prevOk = emitting
                        ? f > 0 && tokens[t].PrevNode >= frameStart[f - 1] && tokens[t].PrevNode < frameStart[f]
                        : tokens[t].PrevNode >= frameStart[f] && tokens[t].PrevNode < end;
                    if (!start && !(arcOk && prevOk))
                    {
                        throw new FormatException(
                            $"WFST channel state token {t} has an arc or previous node out of range");
                    }
                }
            }
        }
    }

    private static void EnsureCapacity<T>(ref T[] array, int count)
    {
        if (array.Length < count)
        {
            array = new T[Math.Max(count, 2 * array.Length)];
        }
    }
}
