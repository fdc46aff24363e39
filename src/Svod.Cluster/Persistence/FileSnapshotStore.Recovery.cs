using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace Svod.Cluster.Persistence;

public sealed partial class FileSnapshotStore
{
    /// <summary>
    /// Replays the log into the index; finals already past their expiry are forgotten at once (an expiry writes
    /// nothing, so the log still holds them). The first record that does not fit in the file, fails its CRC or does not
    /// parse ends the log: a crash mid-append leaves a partial last record, and nothing after a corrupt record can be
    /// trusted to be in order, so the file is cut there (see <see cref="DroppedBytes"/>).
    /// </summary>
    private void Recover()
    {
        var temporary = _logPath + CompactingSuffix;
        if (File.Exists(temporary))
        {
            // A compaction that crashed before its rename: the log itself is whole.
            File.Delete(temporary);
        }

        var length = RandomAccess.GetLength(_log);
        if (length < HeaderSize)
        {
            StartLog(length);
            return;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        RandomAccess.Read(_log, header, 0);
        if (!header.SequenceEqual(Magic))
        {
            throw new InvalidDataException(
                $"{_logPath} is not a svod snapshot log (it does not start with SVODLOG 1); " +
                "move it away or point svod.persistence.directory elsewhere");
        }

        using var reader = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16,
            FileOptions.SequentialScan);
        reader.Position = HeaderSize;
        var record = new byte[4096];
        long position = HeaderSize;
        string? fault = null;
        while (position < length)
        {
            if (length - position < RecordHeaderSize)
            {
                fault = "a partial record header";
                break;
            }

            reader.ReadExactly(record, 0, RecordHeaderSize);
            var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(record);
            if (payloadLength < IdStart || payloadLength > length - position - RecordHeaderSize)
            {
                fault = payloadLength < IdStart ? "an impossible record length" : "a record cut short";
                break;
            }

            var size = RecordHeaderSize + payloadLength;
            if (record.Length < size)
            {
                var grown = new byte[Math.Max(size, (int)Math.Min(2L * record.Length, Array.MaxLength))];
                record.AsSpan(0, RecordHeaderSize).CopyTo(grown);
                record = grown;
            }

            reader.ReadExactly(record, RecordHeaderSize, payloadLength);
            if (!TryDecodeRecord(record.AsSpan(0, size), out var decoded))
            {
                fault = "a record failing its CRC or format check";
                break;
            }

            Replay(decoded, position, size);
            RecoveredRecords++;
            position += size;
        }

        _end = position;
        ForgetExpiredFinals();
        if (fault is not null)
        {
            DroppedBytes = length - position;
            RandomAccess.SetLength(_log, position);
            RandomAccess.FlushToDisk(_log);
            DroppedTail(_logger, _logPath, DroppedBytes, position, fault, RecoveredRecords);
        }
    }

    private void Replay(DecodedRecord record, long offset, int size)
    {
        var entry = new Entry(record.Shard, record.Epoch, record.Value, offset, size);
        switch (record.Kind)
        {
            case RecordKind.Snapshot:
                Put(_snapshots, record.Id, entry);
                break;
            case RecordKind.Complete:
                Remove(_snapshots, record.Id);
                Put(_finals, record.Id, entry);
                break;
            case RecordKind.Delete:
                Remove(_snapshots, record.Id);
                Remove(_finals, record.Id);
                break;
            default:
                throw new InvalidOperationException($"record kind {record.Kind} passed the decoder");
        }
    }

    /// <summary>
    /// A new log, or one whose header never reached the disk (a crash right after creating it): it holds nothing.
    /// Anything else shorter than a header is not ours to overwrite.
    /// </summary>
    private void StartLog(long length)
    {
        Span<byte> head = stackalloc byte[HeaderSize];
        head = head[..RandomAccess.Read(_log, head[..(int)length], 0)];
        if (!Magic.StartsWith(head))
        {
            throw new InvalidDataException(
                $"{_logPath} is not a svod snapshot log ({length} bytes, not starting with SVODLOG 1); " +
                "move it away or point svod.persistence.directory elsewhere");
        }

        RandomAccess.Write(_log, Magic, 0);
        RandomAccess.FlushToDisk(_log);
        SyncDirectory();
        _end = HeaderSize;
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning,
        Message = "Snapshot log {Path}: dropped {DroppedBytes} bytes from offset {Offset} ({Fault}) after " +
                  "{Records} intact records")]
    private static partial void DroppedTail(ILogger logger, string path, long droppedBytes, long offset, string fault,
        int records);
}
