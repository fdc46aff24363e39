using Npgsql;
using Svod.Cluster.Persistence;
using Xunit.Abstractions;

namespace Svod.Cluster.Tests.Persistence;

/// <summary>Snapshots and finals in PostgreSQL: fenced by the shard's owner and epoch, never going back in frames.
/// Each test has its own database; the shards' rows are set up directly, as the coordinator would leave them.</summary>
public sealed class PostgresSnapshotStoreTests(PostgresFixture postgres, ITestOutputHelper output)
    : IClassFixture<PostgresFixture>
{
    private const string Node = "node-a";
    private const string Other = "node-b";
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);
    private readonly CancellationToken _none = CancellationToken.None;

    [Fact]
    public async Task A_batch_of_a_thousand_snapshots_is_written_in_one_call_and_read_back_byte_for_byte()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await ExecuteAsync(db, "INSERT INTO svod.shards (shard_id, owner, epoch, state) " +
            "SELECT s, 'node-a', 3, 'owned' FROM generate_series(0, 63) s");
        var store = new PostgresSnapshotStore(db, Node);
        var batch = Snapshots.Batch(1000, shards: 64, epoch: 3, maxSize: 4096, seed: 1);

        Assert.Empty(await store.WriteAsync(batch, _none));

        Assert.Equal(1000L, await ScalarAsync(db, "SELECT count(*) FROM svod.snapshots"));
        foreach (var snapshot in batch)
        {
            Snapshots.AssertEqual(snapshot, await store.ReadAsync(snapshot.UtteranceId, _none));
        }
    }

    [Fact]
    public async Task A_snapshot_with_more_frames_replaces_the_stored_one_and_one_with_fewer_is_skipped()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 5);
        var store = new PostgresSnapshotStore(db, Node);
        Assert.Empty(await store.WriteAsync([Snapshots.Create("u", 1, 5, frames: 100)], _none));

        var more = Snapshots.Create("u", 1, 5, frames: 150);
        Assert.Empty(await store.WriteAsync([more], _none));
        Snapshots.AssertEqual(more, await store.ReadAsync("u", _none));

        var same = Snapshots.Create("u", 1, 5, frames: 150, seed: 2);
        Assert.Empty(await store.WriteAsync([same], _none));
        Snapshots.AssertEqual(same, await store.ReadAsync("u", _none));

        Assert.Equal(["u"], await store.WriteAsync([Snapshots.Create("u", 1, 5, frames: 149)], _none));
        Snapshots.AssertEqual(same, await store.ReadAsync("u", _none));
    }

    [Fact]
    public async Task Snapshots_of_a_shard_owned_elsewhere_or_at_an_older_epoch_are_skipped_and_the_rest_written()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 5);
        await OwnAsync(db, shard: 2, Other, epoch: 5);
        await OwnAsync(db, shard: 3, Node, epoch: 6);
        await ExecuteAsync(db,
            "INSERT INTO svod.shards (shard_id, owner, epoch, state) VALUES (4, NULL, 5, 'unowned')");
        // shard 5 has no row at all
        var theirs = Snapshots.Create("b", 2, 5, frames: 10);
        Assert.Empty(await new PostgresSnapshotStore(db, Other).WriteAsync([theirs], _none));
        var store = new PostgresSnapshotStore(db, Node);
        ChannelSnapshot[] batch =
        [
            Snapshots.Create("a", 1, 5, frames: 100),
            Snapshots.Create("b", 2, 5, frames: 100), // owned by node-b
            Snapshots.Create("c", 3, 5, frames: 100), // ours, but the epoch moved on to 6
            Snapshots.Create("d", 4, 5, frames: 100), // nobody's
            Snapshots.Create("e", 5, 5, frames: 100), // unknown shard
            Snapshots.Create("f", 1, 5, frames: 100),
        ];

        var skipped = await store.WriteAsync(batch, _none);

        Assert.Equal(["b", "c", "d", "e"], skipped.Order(StringComparer.Ordinal));
        Snapshots.AssertEqual(batch[0], await store.ReadAsync("a", _none));
        Snapshots.AssertEqual(batch[5], await store.ReadAsync("f", _none));
        Snapshots.AssertEqual(theirs, await store.ReadAsync("b", _none));
        foreach (var id in new[] { "c", "d", "e" })
        {
            Assert.Null(await store.ReadAsync(id, _none));
        }
    }

    [Fact]
    public async Task Snapshots_of_a_shard_being_handed_off_are_written_until_its_owner_releases_it()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 7, Node, epoch: 2, state: "handoff");
        var store = new PostgresSnapshotStore(db, Node);
        Assert.Empty(await store.WriteAsync([Snapshots.Create("u", 7, 2, frames: 10)], _none));

        await ExecuteAsync(db, "UPDATE svod.shards SET owner = NULL WHERE shard_id = 7");
        Assert.Equal(["u"], await store.WriteAsync([Snapshots.Create("u", 7, 2, frames: 20)], _none));
        Assert.Equal(10, (await store.ReadAsync("u", _none))!.Frames);
    }

    [Fact]
    public async Task A_batch_naming_an_utterance_twice_keeps_the_one_with_most_frames()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 1);
        var store = new PostgresSnapshotStore(db, Node);
        var most = Snapshots.Create("u", 1, 1, frames: 30);

        Assert.Empty(await store.WriteAsync(
            [Snapshots.Create("u", 1, 1, frames: 20), most, Snapshots.Create("u", 1, 1, frames: 25)], _none));

        Snapshots.AssertEqual(most, await store.ReadAsync("u", _none));
    }

    [Fact]
    public async Task Completing_keeps_the_final_and_deletes_the_snapshot()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 5);
        var store = new PostgresSnapshotStore(db, Node);
        await store.WriteAsync([Snapshots.Create("u", 1, 5, frames: 100)], _none);

        Assert.True(await store.CompleteAsync("u", 1, 5, [1, 2, 3], Retention, _none));

        Assert.Null(await store.ReadAsync("u", _none));
        Assert.Equal([1, 2, 3], await store.ReadFinalAsync("u", _none));
        // completing again (a retry after a lost answer) replaces the final
        Assert.True(await store.CompleteAsync("u", 1, 5, [4, 5], Retention, _none));
        Assert.Equal([4, 5], await store.ReadFinalAsync("u", _none));
    }

    [Fact]
    public async Task Completing_after_the_epoch_moved_is_fenced_and_changes_nothing()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 5);
        var store = new PostgresSnapshotStore(db, Node);
        var snapshot = Snapshots.Create("u", 1, 5, frames: 100);
        await store.WriteAsync([snapshot], _none);
        await OwnAsync(db, shard: 1, Node, epoch: 6);

        Assert.False(await store.CompleteAsync("u", 1, 5, [1, 2, 3], Retention, _none));

        Snapshots.AssertEqual(snapshot, await store.ReadAsync("u", _none));
        Assert.Null(await store.ReadFinalAsync("u", _none));
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM svod.finals"));
    }

    [Fact]
    public async Task Finishing_a_batch_completes_and_forgets_in_one_call_skipping_the_fenced_and_keeping_the_last_entry()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 5);
        await OwnAsync(db, shard: 2, Other, epoch: 1);
        var store = new PostgresSnapshotStore(db, Node);
        var ids = Enumerable.Range(0, 600).Select(i => $"u{i}").ToArray();
        await store.WriteAsync([.. ids.Select(id => Snapshots.Create(id, 1, 5, frames: 10))], _none);
        Assert.True(await store.CompleteAsync("forget-me", 1, 5, [9], Retention, _none));
        var theirs = Snapshots.Create("theirs", 2, 1, frames: 10);
        await new PostgresSnapshotStore(db, Other).WriteAsync([theirs], _none);

        // Even ids complete, odd ones are forgotten; "twice" completes, then is forgotten, then completes again.
        FinishedUtterance[] batch =
        [
            .. ids.Select((id, i) => new FinishedUtterance(id, 1, 5, i % 2 == 0 ? [(byte)i] : null, Retention)),
            new("forget-me", 1, 5, null, Retention),
            new("stale", 1, 4, [1], Retention),
            new("theirs", 2, 1, null, Retention),
            new("twice", 1, 5, [1], Retention),
            new("twice", 1, 5, null, Retention),
            new("twice", 1, 5, [2], Retention),
        ];

        var fenced = await store.FinishAsync(batch, _none);

        Assert.Equal(["stale", "theirs"], fenced.Order());
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM svod.snapshots WHERE shard_id = 1"));
        for (var i = 0; i < ids.Length; i += 50)
        {
            Assert.Equal(i % 2 == 0 ? [(byte)i] : null, await store.ReadFinalAsync(ids[i], _none));
            Assert.Equal(i % 2 == 0 ? null : [(byte)(i + 1)], await store.ReadFinalAsync(ids[i + 1], _none));
        }

        Assert.Equal(301L, await ScalarAsync(db, "SELECT count(*) FROM svod.finals"));
        Assert.Null(await store.ReadFinalAsync("forget-me", _none));
        Assert.Null(await store.ReadFinalAsync("stale", _none));
        Assert.Equal([2], await store.ReadFinalAsync("twice", _none));
        Snapshots.AssertEqual(theirs, await store.ReadAsync("theirs", _none));
    }

    [Fact]
    public async Task An_expired_final_is_hidden_and_expire_removes_only_it()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 1);
        var store = new PostgresSnapshotStore(db, Node);
        Assert.True(await store.CompleteAsync("old", 1, 1, [1], Retention, _none));
        Assert.True(await store.CompleteAsync("new", 1, 1, [2], Retention, _none));
        Assert.Equal([1], await store.ReadFinalAsync("old", _none));

        await ExecuteAsync(db, "UPDATE svod.finals SET expires_at = now() - interval '1 second' " +
            "WHERE utterance_id = 'old'");

        Assert.Null(await store.ReadFinalAsync("old", _none));
        Assert.Equal(1, await store.ExpireAsync(_none));
        Assert.Equal(0, await store.ExpireAsync(_none));
        Assert.Equal(1L, await ScalarAsync(db, "SELECT count(*) FROM svod.finals"));
        Assert.Equal([2], await store.ReadFinalAsync("new", _none));
    }

    [Fact]
    public async Task Expiry_removes_snapshots_nobody_wrote_for_the_abandonment_time()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 1);
        var store = new PostgresSnapshotStore(db, Node, abandonedAfter: TimeSpan.FromMinutes(10));
        await store.WriteAsync([Snapshots.Create("gone", 1, 1, frames: 10), Snapshots.Create("live", 1, 1, frames: 10)],
            _none);
        await ExecuteAsync(db, "UPDATE svod.snapshots SET updated_at = now() - interval '11 minutes' " +
            "WHERE utterance_id = 'gone'");

        await store.ExpireAsync(_none);
        Assert.Null(await store.ReadAsync("gone", _none));
        Assert.NotNull(await store.ReadAsync("live", _none));
    }

    [Fact]
    public async Task Delete_forgets_the_snapshot_and_the_final_only_while_the_shard_is_ours_at_that_epoch()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await OwnAsync(db, shard: 1, Node, epoch: 5);
        var store = new PostgresSnapshotStore(db, Node);
        var snapshot = Snapshots.Create("u", 1, 5, frames: 100);
        await store.WriteAsync([snapshot], _none);

        await store.DeleteAsync("u", 1, 4, _none);
        await new PostgresSnapshotStore(db, Other).DeleteAsync("u", 1, 5, _none);
        Snapshots.AssertEqual(snapshot, await store.ReadAsync("u", _none));

        await store.DeleteAsync("u", 1, 5, _none);
        Assert.Null(await store.ReadAsync("u", _none));

        // Forgetting an utterance drops its retained final too (a new utterance may reuse the id).
        Assert.True(await store.CompleteAsync("v", 1, 5, [1, 2, 3], TimeSpan.FromMinutes(1), _none));
        await store.DeleteAsync("v", 1, 4, _none);
        Assert.NotNull(await store.ReadFinalAsync("v", _none));
        await store.DeleteAsync("v", 1, 5, _none);
        Assert.Null(await store.ReadFinalAsync("v", _none));
    }

    [Fact]
    public async Task Migrating_twice_applies_nothing_the_second_time()
    {
        if (RequiredTool.Skip(postgres.Server is null ? PostgresFixture.Missing : null, output))
        {
            return;
        }

        await using var db = await postgres.CreateDatabaseAsync();

        Assert.Equal(Enumerable.Range(1, SchemaMigrator.LatestVersion), await SchemaMigrator.MigrateAsync(db, _none));
        Assert.Empty(await SchemaMigrator.MigrateAsync(db, _none));
        Assert.Equal((long)SchemaMigrator.LatestVersion,
            await ScalarAsync(db, "SELECT count(*) FROM svod.schema_version"));
    }

    [Fact]
    public async Task A_database_whose_schema_is_newer_than_the_build_is_refused()
    {
        await using var db = await MigratedDatabaseAsync();
        if (db is null)
        {
            return;
        }

        await ExecuteAsync(db, "INSERT INTO svod.schema_version (version, description) " +
            $"VALUES ({SchemaMigrator.LatestVersion + 1}, 'from the future')");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SchemaMigrator.MigrateAsync(db, _none));
        Assert.Contains("newer than this build", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A migrated database of its own; null (after writing why) when PostgreSQL is missing.</summary>
    private async Task<NpgsqlDataSource?> MigratedDatabaseAsync()
    {
        if (RequiredTool.Skip(postgres.Server is null ? PostgresFixture.Missing : null, output))
        {
            return null;
        }

        var db = await postgres.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(db, _none);
        return db;
    }

    private static async Task OwnAsync(NpgsqlDataSource db, int shard, string owner, long epoch, string state = "owned")
    {
        await using var command = db.CreateCommand(
            "INSERT INTO svod.shards (shard_id, owner, epoch, state) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT (shard_id) DO UPDATE " +
            "SET owner = excluded.owner, epoch = excluded.epoch, state = excluded.state");
        command.Parameters.Add(new() { Value = shard });
        command.Parameters.Add(new() { Value = owner });
        command.Parameters.Add(new() { Value = epoch });
        command.Parameters.Add(new() { Value = state });
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
