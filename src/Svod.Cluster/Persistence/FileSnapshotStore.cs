using System.Buffers;
using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Svod.Cluster.Persistence;

/// <summary>
/// Snapshots and finals of a single node without PostgreSQL (docs/cluster.md, "Persistence"): an append-only log of
/// checksummed records in one directory, replayed into an index at open. The index keeps where each live record lies
/// in the log, not its bytes: a read goes to the file. Every write call appends its records and flushes them to disk
/// once, so a batch costs one fsync. One node owns every shard, so there is no epoch fencing; a snapshot is still
/// skipped when the stored one has more frames. One process per directory: it holds the directory's <c>LOCK</c> file.
/// Calls may come from any thread; one runs at a time.
/// </summary>
public sealed partial class FileSnapshotStore : ISnapshotStore
{
    private const string LogName = "snapshots.log";
    private const string LockName = "LOCK";

    /// <summary>Compaction waits until the log is at least this large (and mostly dead).</summary>
    private const long DefaultCompactAbove = 1 << 20;

    /// <summary>A batch buffer grown past this is dropped after the call rather than kept for the next one.</summary>
    private const int KeptBufferBytes = 4 << 20;

    private readonly string _logPath;
    private readonly FileStream _lock;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _compactAbove;
    private readonly long _abandonedAfterMs;
    // Per snapshot, its frames when an expiry sweep first saw them and when: unchanged for the abandonment time, the
    // client never came back. Not persisted: after a reopen the clock starts again (later removal, never earlier).
    private readonly Dictionary<string, (long Frames, long Since)> _unchanged = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Entry> _snapshots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _finals = new(StringComparer.Ordinal);
    private ArrayBufferWriter<byte> _buffer = new();
    private SafeFileHandle _log;
    private long _end;       // length of the log: where the next record goes
    private long _liveBytes; // bytes of the records the index points at; the rest of the log (past the header) is dead
    private long _compactionResumesAt; // after a failed compaction: log length before the next try
    private bool _disposed;

    private FileSnapshotStore(string directory, FileStream lockFile, long compactAbove, ILogger logger,
        TimeProvider time, TimeSpan abandonedAfter)
    {
        _abandonedAfterMs = (long)abandonedAfter.TotalMilliseconds;
        Directory = directory;
        _logPath = Path.Combine(directory, LogName);
        _lock = lockFile;
        _compactAbove = compactAbove;
        _logger = logger;
        _time = time;
        _log = OpenLog(_logPath);
    }

    /// <summary>The directory holding the log and its lock.</summary>
    public string Directory { get; }

    /// <summary>Records replayed from the log at open.</summary>
    public int RecoveredRecords { get; private set; }

    /// <summary>Bytes cut off the end of the log at open: a torn last write, or everything from a corrupt record on.
    /// </summary>
    public long DroppedBytes { get; private set; }

    /// <summary>The log's length in bytes now.</summary>
    internal long LogBytes => _end;

    /// <summary>Compactions since open.</summary>
    internal int Compactions { get; private set; }

    /// <summary>
    /// Opens (creating if missing) the store in <paramref name="directory"/>: takes its lock, replays the log and
    /// cuts off a torn or corrupt tail (logged as a warning). A snapshot left unchanged for
    /// <paramref name="abandonedAfter"/> (default 10 minutes) is removed by <see cref="ExpireAsync"/>: its client
    /// vanished and never resumed the utterance.
    /// </summary>
    /// <exception cref="IOException">Another process holds the directory.</exception>
    public static FileSnapshotStore Open(string directory, ILogger? logger = null, TimeProvider? timeProvider = null,
        TimeSpan? abandonedAfter = null) =>
        Open(directory, DefaultCompactAbove, logger, timeProvider, abandonedAfter);

    /// <summary><see cref="Open(string, ILogger?, TimeProvider?, TimeSpan?)"/> compacting from
    /// <paramref name="compactAbove"/> bytes instead of 1 MiB (tests).</summary>
    internal static FileSnapshotStore Open(string directory, long compactAbove, ILogger? logger = null,
        TimeProvider? timeProvider = null, TimeSpan? abandonedAfter = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);
        var lockFile = Lock(directory);
        FileSnapshotStore? store = null;
        try
        {
            store = new FileSnapshotStore(directory, lockFile, compactAbove, logger ?? NullLogger.Instance,
                timeProvider ?? TimeProvider.System, abandonedAfter ?? TimeSpan.FromMinutes(10));
            store.Recover();
            store.CompactIfMostlyDead();
            return store;
        }
        catch
        {
            store?._log.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool IsShared => false;

    public async Task<IReadOnlySet<string>> WriteAsync(IReadOnlyList<ChannelSnapshot> batch,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return FrozenSet<string>.Empty;
        }

        var newest = SnapshotBatch.Newest(batch);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ResetBuffer();
            HashSet<string>? skipped = null;
            var appended = new List<(string Id, Entry Entry)>(newest.Count);
            foreach (var (id, shard, epoch, frames, state) in newest)
            {
                if (_snapshots.TryGetValue(id, out var stored) && stored.Value > frames)
                {
                    (skipped ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
                    continue;
                }

                var offset = _end + _buffer.WrittenCount;
                var size = EncodeRecord(_buffer, RecordKind.Snapshot, id, shard, epoch, frames, state);
                appended.Add((id, new Entry(shard, epoch, frames, offset, size)));
            }

            if (appended.Count > 0)
            {
                AppendBuffer();
                foreach (var (id, entry) in appended)
                {
                    Put(_snapshots, id, entry);
                }

                CompactIfMostlyDead();
            }

            return skipped ?? (IReadOnlySet<string>)FrozenSet<string>.Empty;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<ChannelSnapshot?> ReadAsync(string utteranceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(utteranceId);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _snapshots.TryGetValue(utteranceId, out var entry)
                ? new ChannelSnapshot(utteranceId, entry.Shard, entry.Epoch, entry.Value,
                    ReadData(utteranceId, entry))
                : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Keeps the final until now + <paramref name="retention"/> and drops the snapshot. Never fenced: this
    /// node owns every shard.</summary>
    public async Task<bool> CompleteAsync(string utteranceId, int shard, long epoch, byte[] final, TimeSpan retention,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(final);
        await FinishAsync([new FinishedUtterance(utteranceId, shard, epoch, final, retention)], cancellationToken);
        return true;
    }

    /// <summary>Forgets the utterance; nothing is written (no fsync) when nothing is stored for it.</summary>
    public Task DeleteAsync(string utteranceId, int shard, long epoch, CancellationToken cancellationToken) =>
        FinishAsync([new FinishedUtterance(utteranceId, shard, epoch, null, TimeSpan.Zero)], cancellationToken);

    /// <summary>Every completion and deletion of the batch in one append and one flush to disk. Never fenced.
    /// </summary>
    public async Task<IReadOnlySet<string>> FinishAsync(IReadOnlyList<FinishedUtterance> batch,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var last = FinishedUtterance.LastOfEach(batch);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FinishHeld(last);
            return FrozenSet<string>.Empty;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>FinishAsync's work, the gate held; ids unique.</summary>
    private void FinishHeld(IReadOnlyList<FinishedUtterance> last)
    {
        ResetBuffer();
        var kept = new List<(string Id, Entry Entry)>(last.Count);
        var forgotten = new List<string>();
        foreach (var (id, shard, epoch, final, retention) in last)
        {
            var offset = _end + _buffer.WrittenCount;
            if (final is not null)
            {
                var expires = ExpiryOf(retention);
                var size = EncodeRecord(_buffer, RecordKind.Complete, id, shard, epoch, expires, final);
                kept.Add((id, new Entry(shard, epoch, expires, offset, size)));
            }
            else if (_snapshots.ContainsKey(id) || _finals.ContainsKey(id))
            {
                EncodeRecord(_buffer, RecordKind.Delete, id, shard, epoch, 0, default);
                forgotten.Add(id);
            }
        }

        if (_buffer.WrittenCount == 0)
        {
            return;
        }

        AppendBuffer();
        foreach (var (id, entry) in kept)
        {
            Remove(_snapshots, id);
            Put(_finals, id, entry);
        }

        foreach (var id in forgotten)
        {
            Remove(_snapshots, id);
            Remove(_finals, id);
        }

        CompactIfMostlyDead();
    }

    public async Task<byte[]?> ReadFinalAsync(string utteranceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(utteranceId);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _finals.TryGetValue(utteranceId, out var entry) && entry.Value > NowMilliseconds()
                ? ReadData(utteranceId, entry)
                : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets finals past their expiry (returns how many; nothing is written: a replay finds them expired by
    /// their time) and snapshots unchanged over sweeps for the abandonment time (one delete record each, one append).
    /// </summary>
    public async Task<int> ExpireAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var expired = ForgetExpiredFinals();
            FinishHeld(Abandoned());
            CompactIfMostlyDead();
            return expired;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Snapshots whose frames have not changed since a sweep at least the abandonment time ago, as
    /// deletions; notes the frames of the others. The gate held.</summary>
    private List<FinishedUtterance> Abandoned()
    {
        var now = NowMilliseconds();
        var abandoned = new List<FinishedUtterance>();
        foreach (var (id, entry) in _snapshots)
        {
            if (!_unchanged.TryGetValue(id, out var seen) || seen.Frames != entry.Value)
            {
                _unchanged[id] = (entry.Value, now);
            }
            else if (now - seen.Since >= _abandonedAfterMs)
            {
                abandoned.Add(new FinishedUtterance(id, entry.Shard, entry.Epoch, null, TimeSpan.Zero));
            }
        }

        foreach (var id in _unchanged.Keys.Where(id => !_snapshots.ContainsKey(id)).ToList())
        {
            _unchanged.Remove(id);
        }

        return abandoned;
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _log.Dispose();
            await _lock.DisposeAsync();
        }
        finally
        {
            _gate.Release();
        }
    }
}
