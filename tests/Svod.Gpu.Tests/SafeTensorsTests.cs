using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;

namespace Svod.Gpu.Tests;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void F32_tensors_round_trip_exactly()
    {
        var tensors = SampleTensors(seed: 1);
        var path = _dir["f32.safetensors"];

        SafeTensors.Write(path, tensors, TensorDType.F32);
        var read = SafeTensors.Read(path);

        Assert.Equal(tensors.Select(t => t.Name).Order(), read.Keys.Order());
        foreach (var t in tensors)
        {
            Assert.Equal(TensorDType.F32, read[t.Name].DType);
            Assert.Equal(t.Shape, read[t.Name].Shape);
            Assert.Equal(t.Data, read[t.Name].Data);
        }
    }

    [Theory]
    [InlineData(TensorDType.F16, 11)]
    [InlineData(TensorDType.BF16, 8)]
    public void Half_precision_tensors_round_trip_within_their_precision(TensorDType dtype, int mantissaBits)
    {
        var tensors = SampleTensors(seed: 2);
        var path = _dir["half.safetensors"];

        SafeTensors.Write(path, tensors, dtype);
        var read = SafeTensors.Read(path);

        // Round to nearest: relative error at most half an ulp, 2^-mantissaBits of the value.
        var tolerance = Math.Pow(2, -mantissaBits);
        foreach (var t in tensors)
        {
            Assert.Equal(dtype, read[t.Name].DType);
            Assert.Equal(t.Shape, read[t.Name].Shape);
            for (var i = 0; i < t.Data.Length; i++)
            {
                var error = Math.Abs(read[t.Name].Data[i] - t.Data[i]);
                Assert.True(error <= (tolerance * Math.Abs(t.Data[i])) + 1e-7,
                    $"{t.Name}[{i}]: wrote {t.Data[i]}, read {read[t.Name].Data[i]}");
            }
        }
    }

    [Theory]
    [InlineData(1.00390625f, 1f)] // 1 + 2^-8: halfway, the even neighbour is 1
    [InlineData(1.01171875f, 1.015625f)] // 1 + 3·2^-8: halfway, the even neighbour is 1 + 2^-6
    [InlineData(1.0039064f, 1.0078125f)] // just above halfway rounds up
    [InlineData(-1.00390625f, -1f)]
    [InlineData(3.4028235e38f, float.PositiveInfinity)] // float.MaxValue rounds up out of range, as in PyTorch
    [InlineData(float.NegativeInfinity, float.NegativeInfinity)]
    [InlineData(1e-40f, 9.1835496e-41f)] // subnormals round like any other value
    public void BF16_rounds_to_nearest_even(float value, float expected)
    {
        var path = _dir["round.safetensors"];

        SafeTensors.Write(path, [new SafeTensor("x", TensorDType.F32, [1], [value])], TensorDType.BF16);

        Assert.Equal(expected, SafeTensors.Read(path)["x"].Data[0]);
    }

    [Fact]
    public void BF16_keeps_NaN_and_negative_zero()
    {
        var path = _dir["nan.safetensors"];
        var nan = BitConverter.Int32BitsToSingle(unchecked((int)0xFF800001)); // a NaN that truncation would make -Inf

        SafeTensors.Write(path, [new SafeTensor("x", TensorDType.F32, [3], [float.NaN, nan, -0f])], TensorDType.BF16);
        var data = SafeTensors.Read(path)["x"].Data;

        Assert.True(float.IsNaN(data[0]));
        Assert.True(float.IsNaN(data[1]));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(data[2]));
    }

    [Fact]
    public void Written_file_follows_the_safetensors_layout()
    {
        var path = _dir["layout.safetensors"];

        SafeTensors.Write(path,
            [
                new SafeTensor("a", TensorDType.F32, [2, 3], new float[6]),
                new SafeTensor("b", TensorDType.F32, [], [5f]),
            ],
            TensorDType.F16);

        var bytes = File.ReadAllBytes(path);
        var headerSize = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerSize % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerSize));
        var a = header.RootElement.GetProperty("a");
        Assert.Equal("F16", a.GetProperty("dtype").GetString());
        Assert.Equal("[2,3]", a.GetProperty("shape").GetRawText());
        Assert.Equal("[0,12]", a.GetProperty("data_offsets").GetRawText());
        Assert.Equal("[12,14]", header.RootElement.GetProperty("b").GetProperty("data_offsets").GetRawText());
        Assert.Equal(8 + headerSize + 14, bytes.Length);
        Assert.Equal((Half)5f, BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(8 + headerSize + 12)));
    }

    [Fact]
    public void Metadata_and_empty_tensors_are_read()
    {
        var path = WriteRaw("meta.safetensors",
            """
            {"__metadata__": {"format": "pt"},
             "empty": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]},
             "one": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}
            """,
            [0x80, 0x3F]);

        var read = SafeTensors.Read(path);

        Assert.Equal(["empty", "one"], read.Keys.Order());
        Assert.Empty(read["empty"].Data);
        Assert.Equal([1f], read["one"].Data);
    }

    [Fact]
    public void Selected_read_loads_only_the_chosen_tensors()
    {
        var path = _dir["select.safetensors"];
        SafeTensors.Write(path, SampleTensors(seed: 3), TensorDType.F32);

        var read = SafeTensors.Read(path, name => name.StartsWith("head.", StringComparison.Ordinal));

        Assert.Equal(["head.bias", "head.weight"], read.Keys.Order());
    }

    [Fact]
    public void File_shorter_than_8_bytes_has_a_truncated_header()
    {
        var path = _dir["tiny.safetensors"];
        File.WriteAllBytes(path, [1, 2, 3]);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));

        Assert.Equal($"{path}: truncated header: the file has 3 bytes, fewer than the 8-byte header size", e.Message);
    }

    [Fact]
    public void Header_size_beyond_the_file_is_a_truncated_header()
    {
        var path = _dir["cut.safetensors"];
        var bytes = new byte[8 + 10];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));

        Assert.Equal($"{path}: truncated header: the header size is 1000 bytes, the file has 10 after it", e.Message);
    }

    [Fact]
    public void Invalid_JSON_is_a_bad_header()
    {
        var path = WriteRaw("bad.safetensors", """{"x": {"dtype": "F32",""", []);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));

        Assert.StartsWith($"{path}: bad header: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_dtype_names_the_tensor_and_the_supported_ones()
    {
        var path = WriteRaw("i64.safetensors",
            """{"head.decoder.embed.weight":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}""", new byte[16]);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));

        Assert.Equal($"{path}: tensor head.decoder.embed.weight has dtype I64; supported: F32, F16, BF16", e.Message);
    }

    [Fact]
    public void Offsets_that_do_not_match_the_shape_name_both_sizes()
    {
        var path = WriteRaw("offsets.safetensors",
            """{"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,6]}}""", new byte[8]);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));

        Assert.Equal($"{path}: tensor w: data_offsets [0, 6] hold 6 bytes, shape [2, 2] of F16 needs 8", e.Message);
    }

    [Fact]
    public void Reversed_offsets_are_rejected()
    {
        var path = WriteRaw("reversed.safetensors",
            """{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", new byte[8]);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));

        Assert.Equal($"{path}: tensor w: data_offsets [8, 4] hold -4 bytes, shape [1] of F32 needs 4", e.Message);
    }

    [Fact]
    public void Data_shorter_than_the_offsets_names_the_tensor_and_sizes()
    {
        var header = """
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}
            """;
        var path = WriteRaw("short.safetensors", header, new byte[20]);
        var dataStart = 8 + Encoding.UTF8.GetByteCount(header);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));

        Assert.Equal($"{path}: truncated: tensor b ends at byte {dataStart + 24}, file has {dataStart + 20}",
            e.Message);
    }

    [Theory]
    [InlineData("""[1, 2]""", "bad header: a JSON object was expected, found Array")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""",
        "bad header: tensor w needs \"dtype\", \"shape\" and two \"data_offsets\"")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "bad header: tensor w has shape [-1]")]
    [InlineData("""
        {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
         "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
        """,
        "bad header: tensor w appears twice")]
    public void Malformed_header_entries_are_named(string header, string message)
    {
        var path = WriteRaw("malformed.safetensors", header, new byte[4]);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(path));

        Assert.StartsWith($"{path}: {message}", e.Message, StringComparison.Ordinal);
    }

    private static List<SafeTensor> SampleTensors(int seed)
    {
        var random = new Random(seed);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 8) - 4))];
        return
        [
            new SafeTensor("head.weight", TensorDType.F32, [3, 5], Values(15)),
            new SafeTensor("head.bias", TensorDType.F32, [3], Values(3)),
            new SafeTensor("encoder.scale", TensorDType.F32, [], Values(1)),
            new SafeTensor("encoder.big", TensorDType.F32, [70_000], Values(70_000)),
        ];
    }

    private string WriteRaw(string name, string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        var path = _dir[name];
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
