using Svod.Cluster.Persistence;
using Svod.Cluster.Tests.Actors;

namespace Svod.Cluster.Tests.Persistence;

/// <summary>The single node's snapshot log: what it answers, what survives a reopen, a torn or corrupt tail, a
/// compaction, and a second process.</summary>
public sealed class FileSnapshotStoreTests : IDisposable
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);
    private readonly TempDirectory _dir = new();
    private readonly CancellationToken _none = CancellationToken.None;

    private string LogPath => _dir["snapshots.log"];

    [Fact]
    public async Task A_batch_of_a_thousand_snapshots_is_written_in_one_call_and_read_back_byte_for_byte()
    {
        var batch = Snapshots.Batch(1000, shards: 64, epoch: 1, maxSize: 4096, seed: 1);
        await using (var store = FileSnapshotStore.Open(_dir.Path))
        {
            Assert.Empty(await store.WriteAsync(batch, _none));
            foreach (var snapshot in batch)
            {
                Snapshots.AssertEqual(snapshot, await store.ReadAsync(snapshot.UtteranceId, _none));
            }
        }

        await using var reopened = FileSnapshotStore.Open(_dir.Path);
        Assert.Equal(1000, reopened.RecoveredRecords);
        Assert.Equal(0, reopened.DroppedBytes);
        foreach (var snapshot in batch)
        {
            Snapshots.AssertEqual(snapshot, await reopened.ReadAsync(snapshot.UtteranceId, _none));
        }
    }

    [Fact]
    public async Task A_snapshot_with_more_frames_replaces_the_stored_one_and_one_with_fewer_is_skipped()
    {
        await using var store = FileSnapshotStore.Open(_dir.Path);
        Assert.Empty(await store.WriteAsync([Snapshots.Create("u", 1, 1, frames: 100)], _none));

        var more = Snapshots.Create("u", 1, 1, frames: 150);
        Assert.Empty(await store.WriteAsync([more], _none));
        Snapshots.AssertEqual(more, await store.ReadAsync("u", _none));

        var same = Snapshots.Create("u", 1, 1, frames: 150, seed: 2);
        Assert.Empty(await store.WriteAsync([same], _none));
        Snapshots.AssertEqual(same, await store.ReadAsync("u", _none));

        var fewer = await store.WriteAsync([Snapshots.Create("u", 1, 1, frames: 149), Snapshots.Create("v", 1, 1, 9)],
            _none);
        Assert.Equal(new[] { "u" }, fewer);
        Snapshots.AssertEqual(same, await store.ReadAsync("u", _none));
        Assert.Equal(9, (await store.ReadAsync("v", _none))!.Frames);
    }

    [Fact]
    public async Task A_batch_naming_an_utterance_twice_keeps_the_one_with_most_frames()
    {
        await using var store = FileSnapshotStore.Open(_dir.Path);
        var most = Snapshots.Create("u", 1, 1, frames: 30);

        Assert.Empty(await store.WriteAsync(
            [Snapshots.Create("u", 1, 1, frames: 20), most, Snapshots.Create("u", 1, 1, frames: 25)], _none));

        Snapshots.AssertEqual(most, await store.ReadAsync("u", _none));
    }

    [Fact]
    public async Task Completing_keeps_the_final_and_deletes_the_snapshot_across_a_reopen()
    {
        await using (var store = FileSnapshotStore.Open(_dir.Path))
        {
            await store.WriteAsync([Snapshots.Create("u", 1, 1, frames: 100)], _none);

            Assert.True(await store.CompleteAsync("u", 1, 1, [1, 2, 3], Retention, _none));

            Assert.Null(await store.ReadAsync("u", _none));
            Assert.Equal(new byte[] { 1, 2, 3 }, await store.ReadFinalAsync("u", _none));
        }

        await using var reopened = FileSnapshotStore.Open(_dir.Path);
        Assert.Null(await reopened.ReadAsync("u", _none));
        Assert.Equal(new byte[] { 1, 2, 3 }, await reopened.ReadFinalAsync("u", _none));
    }

    [Fact]
    public async Task An_expired_final_is_hidden_and_expire_removes_only_it()
    {
        var time = new ManualTimeProvider();
        await using (var store = FileSnapshotStore.Open(_dir.Path, logger: null, time))
        {
            Assert.True(await store.CompleteAsync("old", 1, 1, [1], TimeSpan.FromMinutes(1), _none));
            Assert.True(await store.CompleteAsync("new", 1, 1, [2], TimeSpan.FromMinutes(5), _none));
            time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(new byte[] { 1 }, await store.ReadFinalAsync("old", _none));
            Assert.Equal(0, await store.ExpireAsync(_none));

            time.Advance(TimeSpan.FromMilliseconds(1));

            Assert.Null(await store.ReadFinalAsync("old", _none));
            Assert.Equal(new byte[] { 2 }, await store.ReadFinalAsync("new", _none));
            Assert.Equal(1, await store.ExpireAsync(_none));
            Assert.Equal(0, await store.ExpireAsync(_none));
            Assert.True(await store.CompleteAsync("soon", 1, 1, [3], TimeSpan.FromMinutes(1), _none));
            time.Advance(TimeSpan.FromMinutes(2));
        }

        // the log still holds both expired finals: a reopen forgets them by their time
        await using var reopened = FileSnapshotStore.Open(_dir.Path, logger: null, time);
        Assert.Equal(3, reopened.RecoveredRecords);
        Assert.Null(await reopened.ReadFinalAsync("old", _none));
        Assert.Null(await reopened.ReadFinalAsync("soon", _none));
        Assert.Equal(0, await reopened.ExpireAsync(_none));
        Assert.Equal(new byte[] { 2 }, await reopened.ReadFinalAsync("new", _none));
    }

    [Fact]
    public async Task Finishing_a_batch_completes_and_forgets_in_one_append_keeping_the_last_entry_across_a_reopen()
    {
        await using (var store = FileSnapshotStore.Open(_dir.Path))
        {
            await store.WriteAsync([.. new[] { "a", "b", "c", "twice" }.Select(id => Snapshots.Create(id, 1, 1, 10))],
                _none);

            Assert.Empty(await store.FinishAsync(
            [
                new FinishedUtterance("a", 1, 1, [1], Retention),
                new FinishedUtterance("b", 1, 1, null, Retention),
                new FinishedUtterance("never-written", 1, 1, null, Retention),
                new FinishedUtterance("twice", 1, 1, [1], Retention),
                new FinishedUtterance("twice", 1, 1, [2], Retention),
            ], _none));

            Assert.Equal(new byte[] { 1 }, await store.ReadFinalAsync("a", _none));
            Assert.Null(await store.ReadAsync("b", _none));
        }

        await using var reopened = FileSnapshotStore.Open(_dir.Path);
        // 4 snapshots, then a, b, twice (the last entry only; forgetting an unknown utterance writes nothing)
        Assert.Equal(7, reopened.RecoveredRecords);
        Assert.Null(await reopened.ReadAsync("a", _none));
        Assert.Equal(new byte[] { 1 }, await reopened.ReadFinalAsync("a", _none));
        Assert.Null(await reopened.ReadAsync("b", _none));
        Assert.Null(await reopened.ReadFinalAsync("b", _none));
        Assert.NotNull(await reopened.ReadAsync("c", _none));
        Assert.Equal(new byte[] { 2 }, await reopened.ReadFinalAsync("twice", _none));
    }

    [Fact]
    public async Task Expiry_removes_snapshots_left_unchanged_for_the_abandonment_time_for_good()
    {
        var time = new ManualTimeProvider();
        await using (var store = FileSnapshotStore.Open(_dir.Path, logger: null, time, TimeSpan.FromMinutes(10)))
        {
            await store.WriteAsync([Snapshots.Create("gone", 1, 1, 10), Snapshots.Create("live", 1, 1, 10)], _none);
            await store.ExpireAsync(_none);
            time.Advance(TimeSpan.FromMinutes(6));
            await store.WriteAsync([Snapshots.Create("live", 1, 1, 20)], _none);
            await store.ExpireAsync(_none);
            Assert.NotNull(await store.ReadAsync("gone", _none));

            time.Advance(TimeSpan.FromMinutes(5));
            await store.ExpireAsync(_none);

            Assert.Null(await store.ReadAsync("gone", _none));
            Assert.NotNull(await store.ReadAsync("live", _none));
        }

        await using var reopened = FileSnapshotStore.Open(_dir.Path, logger: null, time);
        Assert.Null(await reopened.ReadAsync("gone", _none));
        Assert.NotNull(await reopened.ReadAsync("live", _none));
    }

    [Fact]
    public async Task A_deleted_snapshot_stays_deleted_across_a_reopen()
    {
        await using (var store = FileSnapshotStore.Open(_dir.Path))
        {
            await store.WriteAsync([Snapshots.Create("u", 1, 1, 10), Snapshots.Create("v", 1, 1, 10)], _none);
            await store.DeleteAsync("u", 1, 1, _none);
            await store.DeleteAsync("never-written", 1, 1, _none);
            Assert.Null(await store.ReadAsync("u", _none));
        }

        await using var reopened = FileSnapshotStore.Open(_dir.Path);
        Assert.Equal(3, reopened.RecoveredRecords); // u, v, delete u: deleting an unknown utterance writes nothing
        Assert.Null(await reopened.ReadAsync("u", _none));
        Assert.NotNull(await reopened.ReadAsync("v", _none));
    }

    [Fact]
    public async Task A_torn_tail_is_dropped_on_recovery_and_the_earlier_records_are_intact()
    {
        var first = Snapshots.Batch(10, shards: 4, epoch: 1, maxSize: 100, seed: 1);
        var last = Snapshots.Create("last", 1, 1, frames: 5, size: 200);
        await WriteThenCloseAsync(first, [last]);
        var length = new FileInfo(LogPath).Length;
        await using (var log = new FileStream(LogPath, FileMode.Open))
        {
            log.SetLength(length - 3);
        }

        await using (var store = FileSnapshotStore.Open(_dir.Path))
        {
            Assert.Equal(10, store.RecoveredRecords);
            Assert.Equal(RecordSize(last) - 3, store.DroppedBytes);
            Assert.Equal(length - RecordSize(last), new FileInfo(LogPath).Length);
            await AssertHoldsAsync(store, first);
            Assert.Null(await store.ReadAsync("last", _none));
            // the log goes on from the cut
            await store.WriteAsync([last], _none);
        }

        await using var reopened = FileSnapshotStore.Open(_dir.Path);
        Assert.Equal((11, 0L), (reopened.RecoveredRecords, reopened.DroppedBytes));
        Snapshots.AssertEqual(last, await reopened.ReadAsync("last", _none));
    }

    [Fact]
    public async Task A_flipped_byte_in_the_last_record_is_dropped_on_recovery_and_the_earlier_records_are_intact()
    {
        var first = Snapshots.Batch(10, shards: 4, epoch: 1, maxSize: 100, seed: 1);
        var last = Snapshots.Create("last", 1, 1, frames: 5, size: 200);
        await WriteThenCloseAsync(first, [last]);
        var bytes = await File.ReadAllBytesAsync(LogPath);
        bytes[^50] ^= 0x10; // inside the last record's state
        await File.WriteAllBytesAsync(LogPath, bytes);

        await using var store = FileSnapshotStore.Open(_dir.Path);
        Assert.Equal(10, store.RecoveredRecords);
        Assert.Equal(RecordSize(last), store.DroppedBytes);
        await AssertHoldsAsync(store, first);
        Assert.Null(await store.ReadAsync("last", _none));
    }

    [Fact]
    public async Task Compaction_keeps_exactly_the_live_records_and_the_log_shrinks()
    {
        // 40 snapshots of 32 KiB (1.3 MB, over the 1 MiB threshold), all rewritten once: half the log is dead, which
        // is not yet more than half; one delete tips it.
        var first = Enumerable.Range(0, 40)
            .Select(i => Snapshots.Create($"u{i:D2}", i % 8, 1, frames: 10, size: 32 << 10)).ToArray();
        var second = first.Select(s => Snapshots.Create(s.UtteranceId, s.Shard, 1, frames: 20, size: 32 << 10))
            .ToArray();
        long compacted;
        await using (var store = FileSnapshotStore.Open(_dir.Path))
        {
            await store.WriteAsync(first, _none);
            await store.WriteAsync(second, _none);
            var full = store.LogBytes;
            Assert.Equal(0, store.Compactions);

            await store.DeleteAsync(second[0].UtteranceId, second[0].Shard, 1, _none);

            Assert.Equal(1, store.Compactions);
            compacted = store.LogBytes;
            Assert.Equal(8 + second.Skip(1).Sum(RecordSize), compacted);
            Assert.True(compacted < full / 2, $"{compacted} bytes after compaction, {full} before");
            Assert.Equal(compacted, new FileInfo(LogPath).Length);
            await AssertHoldsAsync(store, second[1..]);
            Assert.Null(await store.ReadAsync(second[0].UtteranceId, _none));
        }

        await using var reopened = FileSnapshotStore.Open(_dir.Path);
        Assert.Equal((39, 0L), (reopened.RecoveredRecords, reopened.DroppedBytes));
        await AssertHoldsAsync(reopened, second[1..]);
        Assert.False(File.Exists(LogPath + ".compacting"));
    }

    [Fact]
    public async Task A_compaction_cut_short_by_a_crash_leaves_the_log_as_it_was()
    {
        var batch = Snapshots.Batch(20, shards: 4, epoch: 1, maxSize: 100, seed: 1);
        await WriteThenCloseAsync(batch);
        await File.WriteAllBytesAsync(LogPath + ".compacting", [1, 2, 3]); // half a compacted log

        await using var store = FileSnapshotStore.Open(_dir.Path);

        Assert.Equal((20, 0L), (store.RecoveredRecords, store.DroppedBytes));
        await AssertHoldsAsync(store, batch);
        Assert.False(File.Exists(LogPath + ".compacting"));
    }

    [Fact]
    public async Task A_second_store_on_the_same_directory_fails_naming_the_directory()
    {
        await using var store = FileSnapshotStore.Open(_dir.Path);

        var error = Assert.Throws<IOException>(() => FileSnapshotStore.Open(_dir.Path));

        Assert.Contains(_dir.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("in use by another process", error.Message, StringComparison.Ordinal);
        await store.DisposeAsync();
        await using var next = FileSnapshotStore.Open(_dir.Path);
    }

    [Fact]
    public async Task A_file_that_is_not_a_snapshot_log_is_refused_and_left_alone()
    {
        await File.WriteAllTextAsync(LogPath, "some other program's data");

        var error = Assert.Throws<InvalidDataException>(() => FileSnapshotStore.Open(_dir.Path));

        Assert.Contains(LogPath, error.Message, StringComparison.Ordinal);
        Assert.Equal("some other program's data", await File.ReadAllTextAsync(LogPath));
    }

    [Fact]
    public async Task Concurrent_writers_lose_nothing()
    {
        var batches = Enumerable.Range(0, 16)
            .Select(w => Snapshots.Batch(50, shards: 8, epoch: 1, maxSize: 300, seed: w)
                .Select(s => s with { UtteranceId = $"w{w}-{s.UtteranceId}" }).ToArray())
            .ToArray();
        await using (var store = FileSnapshotStore.Open(_dir.Path))
        {
            await Task.WhenAll(batches.Select(b => Task.Run(async () =>
            {
                foreach (var chunk in b.Chunk(10))
                {
                    Assert.Empty(await store.WriteAsync(chunk, _none));
                }
            })));
        }

        await using var reopened = FileSnapshotStore.Open(_dir.Path);
        await AssertHoldsAsync(reopened, batches.SelectMany(b => b));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Bytes of a snapshot's record: length and CRC, kind, id, shard, epoch, frames, state.</summary>
    private static int RecordSize(ChannelSnapshot s) =>
        8 + 1 + 4 + System.Text.Encoding.UTF8.GetByteCount(s.UtteranceId) + 4 + 8 + 8 + 4 + s.State.Length;

    private async Task WriteThenCloseAsync(params ChannelSnapshot[][] batches)
    {
        await using var store = FileSnapshotStore.Open(_dir.Path);
        foreach (var batch in batches)
        {
            Assert.Empty(await store.WriteAsync(batch, _none));
        }
    }

    private async Task AssertHoldsAsync(FileSnapshotStore store, IEnumerable<ChannelSnapshot> snapshots)
    {
        foreach (var snapshot in snapshots)
        {
            Snapshots.AssertEqual(snapshot, await store.ReadAsync(snapshot.UtteranceId, _none));
        }
    }
}
