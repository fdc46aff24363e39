using System.Buffers.Binary;
using System.Text;

namespace Svod.Gpu.Wfst;

/// <summary>
/// A read position in a memory-mapped OpenFst file. OpenFst writes in the host's byte order with no padding
/// (`WriteType`): int32/int64/float as their bytes, strings as an int32 length then the bytes. Every read checks the
/// length first, so a short file reports where it ran out instead of reading past the mapping. Offsets are longs:
/// graphs of several GB are read without a 2 GB span.
/// </summary>
internal unsafe ref struct FstBinaryCursor
{
    /// <summary>ConstFst aligns its state and arc arrays to this many bytes from the start of the stream when the
    /// header has the aligned flag.</summary>
    public const int FileAlign = 16;

    private readonly byte* _data;

    public FstBinaryCursor(byte* data, long length, string path)
    {
        _data = data;
        Length = length;
        Path = path;
    }

    public long Length { get; }

    public string Path { get; }

    public long Position { get; set; }

    public readonly long Remaining => Length - Position;

    public int ReadInt32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));

    public long ReadInt64(string what) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what));

    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    /// <summary>An OpenFst string: int32 byte count, then the bytes (no terminator).</summary>
    public string ReadString(string what)
    {
        var at = Position;
        var length = ReadInt32(what + " length");
        if (length < 0)
        {
            throw Error($"{what} at byte {at} has a negative length {length}");
        }

        return Encoding.UTF8.GetString(Take(length, what));
    }

    public void SkipString(string what)
    {
        var at = Position;
        var length = ReadInt32(what + " length");
        if (length < 0)
        {
            throw Error($"{what} at byte {at} has a negative length {length}");
        }

        Skip(length, what);
    }

    public void Skip(long count, string what)
    {
        Require(count, what);
        Position += count;
    }

    /// <summary>Moves to the next multiple of <see cref="FileAlign"/> (OpenFst's AlignInput).</summary>
    public void Align(string what)
    {
        var padding = (FileAlign - (Position % FileAlign)) % FileAlign;
        Skip(padding, what);
    }

    /// <summary>The next <paramref name="count"/> bytes (at most int.MaxValue), after checking they exist.</summary>
    public ReadOnlySpan<byte> Take(int count, string what)
    {
        Require(count, what);
        var span = new ReadOnlySpan<byte>(_data + Position, count);
        Position += count;
        return span;
    }

    /// <summary>Bytes at an absolute offset, without moving; the caller has checked the range.</summary>
    public readonly ReadOnlySpan<byte> At(long offset, int count) => new(_data + offset, count);

    /// <summary>Checks that <paramref name="count"/> items of <paramref name="size"/> bytes follow, without
    /// overflowing on a garbage count.</summary>
    public readonly bool HasItems(long count, int size) => count <= Remaining / size;

    public readonly void Require(long count, string what)
    {
        if (count > Remaining)
        {
            throw Truncated(what, count);
        }
    }

    /// <summary>Hot loops test <see cref="HasItems"/> and build the description only when it fails.</summary>
    public readonly FstFormatException Truncated(string what, Int128 count) =>
        Error($"truncated at byte {Length}: {what} at byte {Position} needs {count} bytes");

    public readonly FstFormatException Error(string message) => new($"{Path}: {message}");
}
