using System.Buffers.Binary;
using System.Text;
using Svod.Gpu.Models;

namespace Svod.Gpu.Formats;

/// <summary>
/// Encoder frames in NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
/// a 2-D C-order array [T, d] of little-endian float32 or float16.
/// </summary>
public static class Npy
{
    private const int AlignTo = 64;

    // 0x93 then "NUMPY" (a u8 literal would encode U+0093 as two bytes).
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a [T, d] frame file; every problem is a <see cref="ModelFormatException"/> that starts
    /// with the path.</summary>
    /// <param name="expectedWidth">When given, frames of another width are an error (the model's
    /// <c>d_model</c>).</param>
    public static FrameMatrix ReadFrames(string path, int? expectedWidth = null)
    {
        var bytes = ReadAll(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new ModelFormatException($"{path}: not a .npy file (no \\x93NUMPY magic)");
        }

        int major = bytes[6], minor = bytes[7];
        if (major is < 1 or > 3 || minor != 0)
        {
            throw new ModelFormatException(
                $"{path}: unsupported .npy version {major}.{minor}; supported: 1.0, 2.0, 3.0");
        }

        var lengthSize = major == 1 ? 2 : 4;
        if (bytes.Length < 8 + lengthSize)
        {
            throw new ModelFormatException($"{path}: truncated header");
        }

        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8))
            : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        var dataStart = 8 + lengthSize + headerLength;
        if (dataStart > bytes.Length)
        {
            throw new ModelFormatException(
                $"{path}: truncated header: it declares {headerLength} bytes, " +
                $"the file has {bytes.Length - 8 - lengthSize}");
        }

        var encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        var header = NpyHeader.Parse(encoding.GetString(bytes, 8 + lengthSize, (int)headerLength), path);
        if (header.FortranOrder)
        {
            throw new ModelFormatException(
                $"{path}: fortran_order is True; only C-order arrays are supported (save np.ascontiguousarray(x))");
        }

        var dtype = ParseDescr(header.Descr, path);
        if (header.Shape.Length != 2)
        {
            throw new ModelFormatException(
                $"{path}: shape {header.ShapeText} has {header.Shape.Length} dimension(s); " +
                "frames must be 2-D [frames, width]");
        }

        long rows = header.Shape[0], cols = header.Shape[1];
        if (rows == 0)
        {
            throw new ModelFormatException($"{path}: no frames (shape {header.ShapeText})");
        }

        if (cols == 0)
        {
            throw new ModelFormatException($"{path}: frames have width 0 (shape {header.ShapeText})");
        }

        if (expectedWidth is { } width && cols != width)
        {
            throw new ModelFormatException(
                $"{path}: frames have width {cols} (shape {header.ShapeText}), expected {width}");
        }

        if (rows * cols > Array.MaxLength)
        {
            throw new ModelFormatException($"{path}: shape {header.ShapeText} is too large for one frame matrix");
        }

        var count = (int)(rows * cols);
        var elementSize = FloatConversions.ElementSize(dtype);
        var needed = (long)count * elementSize;
        var available = bytes.Length - dataStart;
        if (available < needed)
        {
            throw new ModelFormatException(
                $"{path}: truncated: shape {header.ShapeText} of {header.Descr} needs {needed} bytes of data, " +
                $"the file has {available}");
        }

        var data = new float[count];
        FloatConversions.ToSingle(bytes.AsSpan((int)dataStart, (int)needed), dtype, data);
        CheckFinite(path, data, (int)cols);
        return new FrameMatrix(data, (int)rows, (int)cols);
    }

    /// <summary>Writes row-major [rows, cols] float32 as a version 1.0 .npy file, header padded to 64 bytes.</summary>
    public static void WriteFrames(string path, ReadOnlySpan<float> data, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (data.Length != (long)rows * cols)
        {
            throw new ArgumentException(
                $"data has {data.Length} floats, shape ({rows}, {cols}) needs {(long)rows * cols}", nameof(data));
        }

        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}";
        // magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64.
        var unpadded = 10 + dict.Length + 1;
        var headerText = dict + new string(' ', (AlignTo - (unpadded % AlignTo)) % AlignTo) + "\n";

        var buffer = new byte[10 + headerText.Length + (4 * data.Length)];
        Magic.CopyTo(buffer);
        buffer[6] = 1;
        buffer[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(8), checked((ushort)headerText.Length));
        Encoding.ASCII.GetBytes(headerText, buffer.AsSpan(10));
        FloatConversions.FromSingle(data, TensorDType.F32, buffer.AsSpan(10 + headerText.Length));
        File.WriteAllBytes(path, buffer);
    }

    private static byte[] ReadAll(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFormatException($"{path}: file not found", e);
        }
    }

    private static TensorDType ParseDescr(string descr, string path)
    {
        // '=' is native order, which is little-endian on every platform .NET runs this code on.
        var littleEndian = descr.Length == 3 && (descr[0] == '<' || (descr[0] == '=' && BitConverter.IsLittleEndian));
        return (littleEndian ? descr[1..] : null) switch
        {
            "f4" => TensorDType.F32,
            "f2" => TensorDType.F16,
            _ when descr is ">f4" or ">f2" => throw new ModelFormatException(
                $"{path}: dtype '{descr}' is big-endian; supported: '<f4' (float32), '<f2' (float16)"),
            _ => throw new ModelFormatException(
                $"{path}: unsupported dtype '{descr}'; supported: '<f4' (float32), '<f2' (float16)"),
        };
    }

    private static void CheckFinite(string path, ReadOnlySpan<float> data, int cols)
    {
        for (var i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                var what = float.IsNaN(data[i]) ? "NaN" : data[i] > 0 ? "+Inf" : "-Inf";
                throw new ModelFormatException($"{path}: frame {i / cols}, column {i % cols} is {what}");
            }
        }
    }
}
