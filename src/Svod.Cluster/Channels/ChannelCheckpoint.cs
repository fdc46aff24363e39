using System.Buffers.Binary;

namespace Svod.Cluster.Channels;

/// <summary>
/// The bytes of a channel snapshot: the channel actor's own state, then the channel's state as the lane pool saved it
/// (<c>ChannelStateFormat</c>, with its own checksum), version 1, little-endian:
/// <code>0 u32 magic "SVCA"   4 u16 version   6 u16 reserved   8 i32 segment   12 i32 first token of the segment
/// 16 channel state ...</code>
/// </summary>
public static class ChannelCheckpoint
{
    public const uint Magic = 0x41435653; // "SVCA"
    public const ushort Version = 1;
    private const int HeaderSize = 16;

    public static byte[] Pack(int segment, int segmentStart, ReadOnlySpan<byte> channelState)
    {
        var bytes = new byte[HeaderSize + channelState.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), segment);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), segmentStart);
        channelState.CopyTo(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    /// <summary>Splits snapshot bytes; <see cref="FormatException"/> when they are not a version-1 checkpoint.</summary>
    public static (int Segment, int SegmentStart, ReadOnlyMemory<byte> ChannelState) Unpack(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic)
        {
            throw new FormatException("not a Svod channel checkpoint (no SVCA header)");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (version != Version)
        {
            throw new FormatException($"channel checkpoint version {version} is not supported (this build reads {Version})");
        }

        var segment = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var start = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        if (segment < 0 || start < 0)
        {
            throw new FormatException($"channel checkpoint has segment {segment} from token {start}");
        }

        return (segment, start, bytes[HeaderSize..]);
    }
}
