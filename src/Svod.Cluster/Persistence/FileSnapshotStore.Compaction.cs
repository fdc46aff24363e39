using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Svod.Cluster.Persistence;

public sealed partial class FileSnapshotStore
{
    private const string CompactingSuffix = ".compacting";

    /// <summary>Live records are copied through the batch buffer in pieces of about this size.</summary>
    private const int CopyChunkBytes = 1 << 20;

    /// <summary>
    /// Rewrites the log with only its live records once more than half of it is dead (superseded, deleted, expired)
    /// and it is larger than the threshold. The live records are copied into <c>snapshots.log.compacting</c>, which is
    /// flushed and then renamed over the log: a crash leaves the old log whole (the leftover is deleted at the next
    /// open) or the new one whole. A failed compaction is logged and retried once the log has doubled; the write that
    /// triggered it has already succeeded.
    /// </summary>
    private void CompactIfMostlyDead()
    {
        var body = _end - HeaderSize;
        if (body <= _compactAbove || (body - _liveBytes) * 2 <= body || _end < _compactionResumesAt)
        {
            return;
        }

        var temporary = _logPath + CompactingSuffix;
        var before = _end;
        List<(Dictionary<string, Entry> Index, string Id, Entry Entry)> relocated;
        long end;
        try
        {
            (relocated, end) = CopyLiveRecords(temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            GiveUpCompaction(temporary, e);
            return;
        }

        _log.Dispose();
        try
        {
            File.Move(temporary, _logPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log = OpenLog(_logPath);
            GiveUpCompaction(temporary, e);
            return;
        }

        // The path now names the compacted log; not being able to open it is not something to carry on from.
        _log = OpenLog(_logPath);
        SyncDirectory();
        foreach (var (index, id, entry) in relocated)
        {
            index[id] = entry;
        }

        _end = end;
        Compactions++;
        Compacted(_logger, _logPath, before, end, relocated.Count);
    }

    /// <summary>Writes the header and every live record, in log order, to <paramref name="path"/> and flushes it;
    /// returns where each record now lies and the new log's length.</summary>
    private (List<(Dictionary<string, Entry>, string, Entry)>, long) CopyLiveRecords(string path)
    {
        var live = _snapshots.Select(s => (Index: _snapshots, s.Key, s.Value))
            .Concat(_finals.Select(f => (Index: _finals, f.Key, f.Value)))
            .OrderBy(r => r.Value.Offset)
            .ToList();
        var relocated = new List<(Dictionary<string, Entry>, string, Entry)>(live.Count);
        using var output = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None);
        RandomAccess.Write(output, Magic, 0);
        long written = HeaderSize;
        var position = written;
        try
        {
            foreach (var (index, id, entry) in live)
            {
                if (_buffer.WrittenCount > 0 && _buffer.WrittenCount + entry.Size > CopyChunkBytes)
                {
                    RandomAccess.Write(output, _buffer.WrittenSpan, written);
                    written += _buffer.WrittenCount;
                    _buffer.ResetWrittenCount();
                }

                var record = _buffer.GetSpan(entry.Size)[..entry.Size];
                if (RandomAccess.Read(_log, record, entry.Offset) != entry.Size
                    || !TryDecodeRecord(record, out var decoded) || decoded.Id != id)
                {
                    throw new InvalidDataException(
                        $"{_logPath}: the record of {id} at offset {entry.Offset} is corrupt " +
                        "(it was intact when written or replayed: the file changed under this process)");
                }

                _buffer.Advance(entry.Size);
                relocated.Add((index, id, entry with { Offset = position }));
                position += entry.Size;
            }

            RandomAccess.Write(output, _buffer.WrittenSpan, written);
        }
        finally
        {
            ResetBuffer();
        }

        RandomAccess.FlushToDisk(output);
        return (relocated, position);
    }

    private void GiveUpCompaction(string temporary, Exception error)
    {
        _compactionResumesAt = 2 * _end;
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
            // deleted at the next open
        }

        CompactionFailed(_logger, _logPath, error);
    }

    /// <summary>
    /// Makes a new or renamed file's directory entry durable: fsync of the file covers its data, not its name, so
    /// without this a power cut after a compaction could bring back the old log and lose what was written since.
    /// Windows journals names itself and has no directory handle to flush.
    /// </summary>
    private void SyncDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = OpenReadOnly(Directory, flags: 0); // O_RDONLY
        if (fd < 0 || Fsync(fd) != 0)
        {
            DirectorySyncFailed(_logger, Directory, Marshal.GetLastPInvokeError());
        }

        if (fd >= 0)
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenReadOnly(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information,
        Message = "Snapshot log {Path} compacted from {Before} to {After} bytes ({Records} live records)")]
    private static partial void Compacted(ILogger logger, string path, long before, long after, int records);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning,
        Message = "Snapshot log {Path} could not be compacted; it keeps growing until the next try")]
    private static partial void CompactionFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning,
        Message = "Could not flush the directory {Directory} to disk (errno {Errno}): a power cut may undo its " +
                  "latest file creation or rename")]
    private static partial void DirectorySyncFailed(ILogger logger, string directory, int errno);
}
