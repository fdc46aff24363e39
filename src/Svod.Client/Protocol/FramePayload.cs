using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Svod.Client.Protocol;

/// <summary>
/// <see cref="Frames.Data"/>: row-major <c>[n, width]</c> little-endian float32 or float16 values, as the Start's
/// <see cref="StreamOptions.Encoding"/> says.
/// </summary>
public static class FramePayload
{
    /// <summary>Bytes one value takes: 4 for float32, 2 for float16.</summary>
    public static int BytesPerValue(FrameEncoding encoding) => encoding switch
    {
        FrameEncoding.F32 => 4,
        FrameEncoding.F16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown frame encoding"),
    };

    /// <summary>Encodes whole frames; float16 rounds to nearest even as <see cref="Half"/> conversion does.</summary>
    public static ByteString Encode(ReadOnlySpan<float> values, FrameEncoding encoding)
    {
        var bytes = new byte[values.Length * BytesPerValue(encoding)];
        Encode(values, encoding, bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    /// <summary>Encodes into <paramref name="destination"/>, which holds exactly
    /// <c>values.Length × BytesPerValue(encoding)</c> bytes (e.g. a slice of a pooled array).</summary>
    public static void Encode(ReadOnlySpan<float> values, FrameEncoding encoding, Span<byte> destination)
    {
        if (destination.Length != values.Length * BytesPerValue(encoding))
        {
            throw new ArgumentException(
                $"{destination.Length} bytes do not hold {values.Length} {encoding} values", nameof(destination));
        }

        if (encoding == FrameEncoding.F32)
        {
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(values).CopyTo(destination);
            }
            else
            {
                for (var i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], values[i]);
                }
            }
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteHalfLittleEndian(destination[(i * 2)..], (Half)values[i]);
            }
        }
    }

    /// <summary>Frames in <paramref name="data"/>; a length that is not whole frames of <paramref name="width"/> is an
    /// <see cref="ArgumentException"/> naming both.</summary>
    public static int FrameCount(ReadOnlySpan<byte> data, int width, FrameEncoding encoding)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var frameBytes = width * BytesPerValue(encoding);
        if (data.Length % frameBytes != 0)
        {
            throw new ArgumentException(
                $"{data.Length} bytes are not whole frames of {width} {encoding} values ({frameBytes} bytes each)",
                nameof(data));
        }

        return data.Length / frameBytes;
    }

    /// <summary>Decodes into <paramref name="destination"/>, which holds exactly the payload's values.</summary>
    public static void Decode(ReadOnlySpan<byte> data, FrameEncoding encoding, Span<float> destination)
    {
        var size = BytesPerValue(encoding);
        if (data.Length != destination.Length * size)
        {
            throw new ArgumentException(
                $"{data.Length} bytes of {encoding} hold {data.Length / size} values, destination has {destination.Length}",
                nameof(destination));
        }

        if (encoding == FrameEncoding.F32 && BitConverter.IsLittleEndian)
        {
            data.CopyTo(MemoryMarshal.AsBytes(destination));
            return;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = encoding == FrameEncoding.F32
                ? BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..])
                : (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]);
        }
    }
}
