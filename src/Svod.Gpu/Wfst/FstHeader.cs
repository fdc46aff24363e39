using System.Buffers.Binary;

namespace Svod.Gpu.Wfst;

/// <summary>
/// OpenFst's FstHeader as written before every binary FST: magic, FST type ("vector", "const"…), arc type
/// ("standard" = tropical float weights), version, flags, properties, start state, state and arc counts.
/// NumStates is -1 when the writer could not count them (a VectorFst written to a pipe); NumArcs is 0 for a
/// VectorFst, which does not fill it in.
/// </summary>
internal readonly record struct FstHeader(
    string FstType,
    string ArcType,
    int Version,
    int Flags,
    ulong Properties,
    long Start,
    long NumStates,
    long NumArcs)
{
    /// <summary>kFstMagicNumber, little-endian on disk.</summary>
    public const int Magic = 2125659606;

    /// <summary>kSymbolTableMagicNumber: starts each symbol table embedded after the header.</summary>
    public const int SymbolTableMagic = 2125658996;

    public const int HasInputSymbols = 0x1;
    public const int HasOutputSymbols = 0x2;
    public const int IsAligned = 0x4;

    /// <summary>Reads the header and skips the input/output symbol tables the flags announce, leaving the cursor at
    /// the first byte of the FST's own data.</summary>
    public static FstHeader Read(ref FstBinaryCursor cursor)
    {
        var magic = cursor.ReadInt32("the magic number");
        if (magic != Magic)
        {
            var swapped = BinaryPrimitives.ReverseEndianness(magic) == Magic;
            throw cursor.Error(swapped
                ? "an OpenFst binary file written on a big-endian machine, which is not supported"
                : $"not an OpenFst binary file (magic 0x{magic:X8}, expected 0x{Magic:X8})");
        }

        var header = new FstHeader(
            cursor.ReadString("the FST type"),
            cursor.ReadString("the arc type"),
            cursor.ReadInt32("the version"),
            cursor.ReadInt32("the flags"),
            cursor.ReadUInt64("the properties"),
            cursor.ReadInt64("the start state"),
            cursor.ReadInt64("the number of states"),
            cursor.ReadInt64("the number of arcs"));
        if ((header.Flags & HasInputSymbols) != 0)
        {
            SkipSymbolTable(ref cursor, "the input symbol table");
        }

        if ((header.Flags & HasOutputSymbols) != 0)
        {
            SkipSymbolTable(ref cursor, "the output symbol table");
        }

        return header;
    }

    /// <summary>A binary symbol table: magic, name, available key (int64), count (int64), then count × (symbol,
    /// key int64).</summary>
    private static void SkipSymbolTable(ref FstBinaryCursor cursor, string which)
    {
        var at = cursor.Position;
        var magic = cursor.ReadInt32($"the magic number of {which}");
        if (magic != SymbolTableMagic)
        {
            throw cursor.Error(
                $"{which} at byte {at} has magic 0x{magic:X8}, expected 0x{SymbolTableMagic:X8}");
        }

        cursor.SkipString($"the name of {which}");
        cursor.Skip(8, $"the available key of {which}");
        var countAt = cursor.Position;
        var count = cursor.ReadInt64($"the size of {which}");
        if (count < 0)
        {
            throw cursor.Error($"{which}: the size at byte {countAt} is negative ({count})");
        }

        // Kaldi's words.txt can hold a million symbols: descriptions are built only for an error.
        for (long i = 0; i < count; i++)
        {
            if (!cursor.HasItems(1, sizeof(int)))
            {
                throw cursor.Truncated($"the length of symbol {i} of {which}", sizeof(int));
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(cursor.Take(sizeof(int), "a symbol length"));
            if (length < 0)
            {
                throw cursor.Error(
                    $"symbol {i} of {which} at byte {cursor.Position - sizeof(int)} has a negative length {length}");
            }

            if (!cursor.HasItems((long)length + sizeof(long), 1))
            {
                throw cursor.Truncated($"symbol {i} of {which} and its key", (long)length + sizeof(long));
            }

            cursor.Position += length + sizeof(long);
        }
    }
}
