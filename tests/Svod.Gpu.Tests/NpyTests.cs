using System.Buffers.Binary;
using System.Text;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;

namespace Svod.Gpu.Tests;

public sealed class NpyTests : IDisposable
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Float32_frames_round_trip_through_write_and_read()
    {
        var random = new Random(7);
        var data = Enumerable.Range(0, 5 * 3).Select(_ => (float)(random.NextDouble() * 200 - 100)).ToArray();
        data[4] = -0f;
        data[5] = float.Epsilon;
        var path = _dir["frames.npy"];

        Npy.WriteFrames(path, data, rows: 5, cols: 3);
        var frames = Npy.ReadFrames(path, expectedWidth: 3);

        Assert.Equal(5, frames.Rows);
        Assert.Equal(3, frames.Cols);
        Assert.Equal(data.Select(BitConverter.SingleToInt32Bits), frames.Data.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Written_file_has_a_version_1_header_padded_to_64_bytes()
    {
        var path = _dir["frames.npy"];
        Npy.WriteFrames(path, new float[2 * 768], rows: 2, cols: 768);

        var bytes = File.ReadAllBytes(path);
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Equal(Magic, bytes[..6]);
        Assert.Equal(new byte[] { 1, 0 }, bytes[6..8]);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 768), }", header,
            StringComparison.Ordinal);
        Assert.Equal(10 + headerLength + (2 * 768 * 4), bytes.Length);
    }

    [Fact]
    public void Float16_frames_are_read_as_float32()
    {
        var values = new[] { 0f, 1f, -2.5f, 65504f, 0.000061035156f, 0.333251953125f };
        var data = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2 * i), (Half)values[i]);
        }

        var path = Write("half.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (3, 2), }", data);
        var frames = Npy.ReadFrames(path);

        Assert.Equal((3, 2), (frames.Rows, frames.Cols));
        Assert.Equal(values, frames.Data);
    }

    [Fact]
    public void Version_2_header_and_double_quoted_python_literals_are_read()
    {
        var data = new byte[4 * 2];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -3f);
        var path = Write("v2.npy", "{\"shape\": (1, 2), \"fortran_order\": False, \"descr\": \"=f4\"}", data, major: 2);

        var frames = Npy.ReadFrames(path);

        Assert.Equal(new[] { 1.5f, -3f }, frames.Data);
    }

    [Fact]
    public void Frames_of_another_width_name_both_widths()
    {
        var path = _dir["frames.npy"];
        Npy.WriteFrames(path, new float[4 * 512], rows: 4, cols: 512);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path, expectedWidth: 768));

        Assert.Equal($"{path}: frames have width 512 (shape (4, 512)), expected 768", e.Message);
    }

    [Fact]
    public void NaN_names_the_frame_and_column()
    {
        var data = new float[20 * 5];
        data[(17 * 5) + 3] = float.NaN;
        var path = _dir["nan.npy"];
        Npy.WriteFrames(path, data, rows: 20, cols: 5);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: frame 17, column 3 is NaN", e.Message);
    }

    [Fact]
    public void Infinity_names_the_frame_column_and_sign()
    {
        var data = new float[3 * 4];
        data[4] = float.NegativeInfinity;
        var path = _dir["inf.npy"];
        Npy.WriteFrames(path, data, rows: 3, cols: 4);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: frame 1, column 0 is -Inf", e.Message);
    }

    [Fact]
    public void Float16_infinity_is_found_after_conversion()
    {
        var data = new byte[2 * 2];
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), Half.PositiveInfinity);
        var path = Write("inf16.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }", data);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: frame 0, column 1 is +Inf", e.Message);
    }

    [Fact]
    public void Truncated_data_names_the_bytes_needed_and_present()
    {
        var path = Write("short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 4), }", new byte[150]);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: truncated: shape (10, 4) of <f4 needs 160 bytes of data, the file has 150", e.Message);
    }

    [Fact]
    public void Zero_frames_is_an_error()
    {
        var path = Write("empty.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 768), }", []);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: no frames (shape (0, 768))", e.Message);
    }

    [Theory]
    [InlineData("'<f8'", "unsupported dtype '<f8'; supported: '<f4' (float32), '<f2' (float16)")]
    [InlineData("'<i4'", "unsupported dtype '<i4'; supported: '<f4' (float32), '<f2' (float16)")]
    [InlineData("'>f4'", "dtype '>f4' is big-endian; supported: '<f4' (float32), '<f2' (float16)")]
    [InlineData("'|f2'", "unsupported dtype '|f2'; supported: '<f4' (float32), '<f2' (float16)")]
    public void Unsupported_dtype_is_named(string descr, string message)
    {
        var path = Write("dtype.npy", $"{{'descr': {descr}, 'fortran_order': False, 'shape': (1, 1), }}", new byte[8]);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: {message}", e.Message);
    }

    [Theory]
    [InlineData("(6,)", "shape (6,) has 1 dimension(s); frames must be 2-D [frames, width]")]
    [InlineData("(1, 2, 3)", "shape (1, 2, 3) has 3 dimension(s); frames must be 2-D [frames, width]")]
    [InlineData("()", "shape () has 0 dimension(s); frames must be 2-D [frames, width]")]
    public void Arrays_that_are_not_two_dimensional_are_rejected(string shape, string message)
    {
        var path = Write("ndim.npy", $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}", new byte[24]);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: {message}", e.Message);
    }

    [Fact]
    public void Fortran_order_is_rejected()
    {
        var path = Write("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.StartsWith($"{path}: fortran_order is True", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("['descr', '<f4']", "header is not a dict")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)", "header is not a dict literal")]
    [InlineData("{'descr': '<f4', 'fortran_order': False}", "header has no 'shape'")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2)}", "header has no 'fortran_order'")]
    [InlineData("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,)}", "header has no 'descr' string")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2)}", "header has no 'shape'")]
    public void Header_that_is_not_the_expected_dict_is_rejected(string header, string message)
    {
        var path = Write("header.npy", header, new byte[16]);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.StartsWith($"{path}: {message}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_without_the_magic_is_not_npy()
    {
        var path = _dir["text.npy"];
        File.WriteAllText(path, "hello, this is not numpy");

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.StartsWith($"{path}: not a .npy file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_version_is_rejected()
    {
        var path = Write("v9.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", new byte[4],
            major: 9);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: unsupported .npy version 9.0; supported: 1.0, 2.0, 3.0", e.Message);
    }

    [Fact]
    public void Header_longer_than_the_file_is_truncated()
    {
        var path = _dir["cut.npy"];
        var bytes = new byte[20];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), 118);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: truncated header: it declares 118 bytes, the file has 10", e.Message);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var path = _dir["absent.npy"];

        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadFrames(path));

        Assert.Equal($"{path}: file not found", e.Message);
    }

    /// <summary>A .npy file by hand: magic, version, header length, the header padded as NumPy does, then the
    /// data.</summary>
    private string Write(string name, string dict, byte[] data, int major = 1)
    {
        var lengthSize = major == 1 ? 2 : 4;
        var prefix = 8 + lengthSize;
        var padding = (64 - ((prefix + dict.Length + 1) % 64)) % 64;
        var header = Encoding.ASCII.GetBytes(dict + new string(' ', padding) + "\n");
        using var file = new MemoryStream();
        file.Write(Magic);
        file.WriteByte((byte)major);
        file.WriteByte(0);
        var length = new byte[lengthSize];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        }

        file.Write(length);
        file.Write(header);
        file.Write(data);
        var path = _dir[name];
        File.WriteAllBytes(path, file.ToArray());
        return path;
    }
}
