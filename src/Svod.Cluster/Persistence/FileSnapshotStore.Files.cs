using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Svod.Cluster.Persistence;

public sealed partial class FileSnapshotStore
{
    private static FileStream Lock(string directory)
    {
        var path = Path.Combine(directory, LockName);
        try
        {
            // FileShare.None is an exclusive flock on Unix: released by the kernel when the process dies, so a
            // crashed node leaves no stale lock.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException(
                $"the snapshot directory {directory} is in use by another process (it holds {path}); " +
                "give each svod node its own svod.persistence.directory", e);
        }
    }

    private static SafeFileHandle OpenLog(string path) =>
        File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);

    /// <summary>Writes the buffered records at the end of the log and flushes them to disk; on failure, cuts the log
    /// back to where it was, so a half-written batch is not replayed.</summary>
    private void AppendBuffer()
    {
        try
        {
            RandomAccess.Write(_log, _buffer.WrittenSpan, _end);
            RandomAccess.FlushToDisk(_log);
            _end += _buffer.WrittenCount;
        }
        catch (IOException)
        {
            TryTruncate(_end);
            throw;
        }
        finally
        {
            ResetBuffer();
        }
    }

    /// <summary>Empties the batch buffer (a call that failed while encoding may have left records in it).</summary>
    private void ResetBuffer()
    {
        if (_buffer.Capacity > KeptBufferBytes)
        {
            _buffer = new ArrayBufferWriter<byte>();
        }
        else
        {
            _buffer.ResetWrittenCount();
        }
    }

    private void TryTruncate(long length)
    {
        try
        {
            RandomAccess.SetLength(_log, length);
        }
        catch (IOException)
        {
            // The next append overwrites from _end anyway. What it leaves of the failed batch past its own end
            // mostly fails its CRC on replay; a whole record that survives is still a real snapshot at a frame
            // boundary, only one its caller was told had failed.
        }
    }

    /// <summary>The data of the record <paramref name="entry"/> points at, checked against its CRC again.</summary>
    private byte[] ReadData(string utteranceId, Entry entry)
    {
        var record = ArrayPool<byte>.Shared.Rent(entry.Size);
        try
        {
            var span = record.AsSpan(0, entry.Size);
            if (RandomAccess.Read(_log, span, entry.Offset) != entry.Size || !TryDecodeRecord(span, out var decoded)
                || decoded.Id != utteranceId)
            {
                throw new InvalidDataException(
                    $"{_logPath}: the record of {utteranceId} at offset {entry.Offset} is corrupt " +
                    "(it was intact when written or replayed: the file changed under this process)");
            }

            return span.Slice(decoded.DataStart, decoded.DataLength).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }
}
