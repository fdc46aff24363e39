using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Svod.Gpu.Models;

namespace Svod.Gpu.Formats;

/// <summary>
/// The safetensors format (https://github.com/huggingface/safetensors): a little-endian u64 header size N, N bytes
/// of JSON <c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}</c>, then the data;
/// offsets are relative to the start of the data. F32, F16 and BF16 are read, and converted to f32.
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";
    private const int ChunkElements = 1 << 16;
    private const long MaxElements = 1L << 40;

    /// <summary>Reads every tensor; problems are <see cref="ModelFormatException"/>s that start with the
    /// path.</summary>
    public static IReadOnlyDictionary<string, SafeTensor> Read(string path) => Read(path, static _ => true);

    /// <summary>
    /// Validates the whole header but loads the data only of the tensors <paramref name="select"/> accepts, so a
    /// model file with a large encoder can be read for its head alone.
    /// </summary>
    public static IReadOnlyDictionary<string, SafeTensor> Read(string path, Func<string, bool> select)
    {
        ArgumentNullException.ThrowIfNull(select);
        using var stream = OpenRead(path);
        var entries = ReadHeader(stream, path, out var dataStart);
        var result = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!select(entry.Name))
            {
                continue;
            }

            if (entry.Count > Array.MaxLength)
            {
                throw new ModelFormatException(
                    $"{path}: tensor {entry.Name} has {entry.Count} elements, too many to load");
            }

            var data = new float[entry.Count];
            stream.Position = dataStart + entry.Begin;
            ReadData(stream, entry.DType, data);
            result.Add(entry.Name, new SafeTensor(entry.Name, entry.DType, entry.Shape, data));
        }

        return result;
    }

    /// <summary>Writes the tensors in order, their f32 data converted to <paramref name="dtype"/> (each tensor's own
    /// <see cref="SafeTensor.DType"/> is ignored). bf16 rounds to nearest even and keeps NaN a NaN.</summary>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, TensorDType dtype)
    {
        var list = tensors.ToList();
        var elementSize = FloatConversions.ElementSize(dtype);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (t.Name == MetadataKey || !names.Add(t.Name))
            {
                throw new ArgumentException($"tensor name {t.Name} is reserved or appears twice", nameof(tensors));
            }

            if (t.Data.Length != ElementCount(t.Shape))
            {
                throw new ArgumentException(
                    $"tensor {t.Name} has {t.Data.Length} values, " +
                    $"shape {FormatShape(t.Shape)} needs {ElementCount(t.Shape)}",
                    nameof(tensors));
            }
        }

        var header = BuildHeader(list, dtype, elementSize);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
        stream.Write(size);
        stream.Write(header);

        var buffer = ArrayPool<byte>.Shared.Rent(ChunkElements * elementSize);
        try
        {
            foreach (var t in list)
            {
                for (var start = 0; start < t.Data.Length; start += ChunkElements)
                {
                    var chunk = t.Data.AsSpan(start, Math.Min(ChunkElements, t.Data.Length - start));
                    var bytes = buffer.AsSpan(0, chunk.Length * elementSize);
                    FloatConversions.FromSingle(chunk, dtype, bytes);
                    stream.Write(bytes);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static string FormatShape(IEnumerable<int> shape) => $"[{string.Join(", ", shape)}]";

    internal static string DTypeName(TensorDType dtype) => dtype switch
    {
        TensorDType.F32 => "F32",
        TensorDType.F16 => "F16",
        TensorDType.BF16 => "BF16",
        _ => dtype.ToString(),
    };

    private static long ElementCount(int[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            count = checked(count * d);
        }

        return count;
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFormatException($"{path}: file not found", e);
        }
    }

    private static List<HeaderEntry> ReadHeader(FileStream stream, string path, out long dataStart)
    {
        var fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw new ModelFormatException(
                $"{path}: truncated header: the file has {fileLength} bytes, fewer than the 8-byte header size");
        }

        Span<byte> size = stackalloc byte[8];
        stream.ReadExactly(size);
        var headerSize = BinaryPrimitives.ReadUInt64LittleEndian(size);
        if (headerSize > (ulong)(fileLength - 8))
        {
            throw new ModelFormatException(
                $"{path}: truncated header: the header size is {headerSize} bytes, " +
                $"the file has {fileLength - 8} after it");
        }

        var header = new byte[headerSize];
        stream.ReadExactly(header);
        dataStart = 8 + (long)headerSize;
        try
        {
            using var json = JsonDocument.Parse(header);
            return ParseEntries(json.RootElement, path, dataStart, fileLength);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: bad header: {e.Message}", e);
        }
    }

    private static List<HeaderEntry> ParseEntries(JsonElement root, string path, long dataStart, long fileLength)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException($"{path}: bad header: a JSON object was expected, found {root.ValueKind}");
        }

        var entries = new List<HeaderEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var name = property.Name;
            if (name == MetadataKey)
            {
                continue;
            }

            if (!seen.Add(name))
            {
                throw new ModelFormatException($"{path}: bad header: tensor {name} appears twice");
            }

            var entry = ParseEntry(name, property.Value, path);
            var bytes = entry.End - entry.Begin;
            var needed = entry.Count * FloatConversions.ElementSize(entry.DType);
            if (entry.End < entry.Begin || bytes != needed)
            {
                throw new ModelFormatException(
                    $"{path}: tensor {name}: data_offsets [{entry.Begin}, {entry.End}] hold {bytes} bytes, " +
                    $"shape {FormatShape(entry.Shape)} of {DTypeName(entry.DType)} needs {needed}");
            }

            if (dataStart + entry.End > fileLength)
            {
                throw new ModelFormatException(
                    $"{path}: truncated: tensor {name} ends at byte {dataStart + entry.End}, file has {fileLength}");
            }

            entries.Add(entry);
        }

        return entries;
    }

    private static HeaderEntry ParseEntry(string name, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement)
            || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw new ModelFormatException(
                $"{path}: bad header: tensor {name} needs \"dtype\", \"shape\" and two \"data_offsets\", " +
                $"found {value}");
        }

        var dtypeName = dtypeElement.GetString();
        TensorDType dtype = dtypeName switch
        {
            "F32" => TensorDType.F32,
            "F16" => TensorDType.F16,
            "BF16" => TensorDType.BF16,
            _ => throw new ModelFormatException(
                $"{path}: tensor {name} has dtype {dtypeName}; supported: F32, F16, BF16"),
        };

        var shape = new int[shapeElement.GetArrayLength()];
        var i = 0;
        long count = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            // The element count stays below 2^40 (a terabyte of floats), so byte counts cannot overflow.
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[i]) || shape[i] < 0
                || (shape[i] > 0 && count > MaxElements / shape[i]))
            {
                throw new ModelFormatException($"{path}: bad header: tensor {name} has shape {shapeElement}");
            }

            count *= shape[i];
            i++;
        }

        var offsets = offsetsElement.EnumerateArray().Select(o =>
            o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out var v) && v >= 0
                ? v
                : throw new ModelFormatException(
                    $"{path}: bad header: tensor {name} has data_offsets {offsetsElement}"))
            .ToArray();
        return new HeaderEntry(name, dtype, shape, count, offsets[0], offsets[1]);
    }

    private static void ReadData(FileStream stream, TensorDType dtype, Span<float> destination)
    {
        if (dtype == TensorDType.F32 && BitConverter.IsLittleEndian)
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(destination));
            return;
        }

        var elementSize = FloatConversions.ElementSize(dtype);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkElements * elementSize);
        try
        {
            for (var start = 0; start < destination.Length; start += ChunkElements)
            {
                var chunk = destination.Slice(start, Math.Min(ChunkElements, destination.Length - start));
                var bytes = buffer.AsSpan(0, chunk.Length * elementSize);
                stream.ReadExactly(bytes);
                FloatConversions.ToSingle(bytes, dtype, chunk);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] BuildHeader(List<SafeTensor> tensors, TensorDType dtype, int elementSize)
    {
        using var memory = new MemoryStream();
        using (var writer = new Utf8JsonWriter(memory))
        {
            writer.WriteStartObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                var end = offset + ((long)t.Data.Length * elementSize);
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", DTypeName(dtype));
                writer.WriteStartArray("shape");
                foreach (var d in t.Shape)
                {
                    writer.WriteNumberValue(d);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }

            writer.WriteEndObject();
        }

        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while ((memory.Length % 8) != 0)
        {
            memory.WriteByte((byte)' ');
        }

        return memory.ToArray();
    }

    private sealed record HeaderEntry(string Name, TensorDType DType, int[] Shape, long Count, long Begin, long End);
}
