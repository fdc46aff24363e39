using System.IO.MemoryMappedFiles;

namespace Svod.Gpu.Wfst;

/// <summary>
/// Reads OpenFst FSTs of arc type "standard" (tropical float weights) into a <see cref="WfstGraph"/>: the binary
/// forms VectorFst ("vector") and ConstFst ("const", 32-bit offsets), memory-mapped and read with two passes over
/// the arcs and no object per arc, and the text form that fstprint writes and fstcompile reads. Anything else is
/// refused with a <see cref="FstFormatException"/> naming the file and what was found.
/// </summary>
public static partial class OpenFstReader
{
    /// <summary>Binary when the file starts with OpenFst's magic number (either byte order), text when its first
    /// non-blank character is a digit (or it is blank), otherwise refused as a binary file with a bad magic.</summary>
    public static WfstGraph Read(string path)
    {
        Span<byte> start = stackalloc byte[256];
        int read;
        using (var stream = OpenRead(path))
        {
            read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        }

        return LooksLikeText(start[..read]) ? ReadText(path) : ReadBinary(path);
    }

    /// <summary>An OpenFst binary file: VectorFst or ConstFst with standard arcs.</summary>
    public static unsafe WfstGraph ReadBinary(string path)
    {
        using var stream = OpenRead(path);
        var length = stream.Length;
        if (length == 0)
        {
            var empty = new FstBinaryCursor(null, 0, path);
            return ReadBinary(ref empty);
        }

        using var mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read,
            HandleInheritability.None, leaveOpen: true);
        using var view = mapping.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            var cursor = new FstBinaryCursor(pointer + view.PointerOffset, length, path);
            return ReadBinary(ref cursor);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    private static WfstGraph ReadBinary(ref FstBinaryCursor cursor)
    {
        var header = FstHeader.Read(ref cursor);
        if (header.ArcType != "standard")
        {
            throw cursor.Error($"arc type '{header.ArcType}' is not supported: expected 'standard'");
        }

        return header.FstType switch
        {
            "vector" => ReadVector(ref cursor, header),
            "const" => ReadConst(ref cursor, header),
            _ => throw cursor.Error($"FST type '{header.FstType}' is not supported: expected 'vector' or 'const'"),
        };
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> start)
    {
        foreach (var b in start)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b is >= (byte)'0' and <= (byte)'9';
        }

        return true;
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FstFormatException($"{path}: file not found", e);
        }
    }
}
