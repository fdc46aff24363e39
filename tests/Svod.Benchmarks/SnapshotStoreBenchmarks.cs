using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Npgsql;
using Svod.Cluster.Persistence;
using Svod.Testing;

namespace Svod.Benchmarks;

/// <summary>
/// What the snapshot writer's round trips cost against a private PostgreSQL with its default durability (fsync on),
/// per utterance (OperationsPerInvoke = batch; Op/s is utterances per second on one connection):
/// <list type="bullet">
/// <item>a batch of GigaAM-size snapshots written by <see cref="PostgresSnapshotStore.WriteAsync"/> (fenced by the
/// shard's owner and epoch) beside the same upsert without the fence (the baseline);</item>
/// <item>a batch of finished utterances kept by <see cref="PostgresSnapshotStore.FinishAsync"/> in one statement
/// beside one <see cref="PostgresSnapshotStore.CompleteAsync"/> per utterance, as the writer did before.</item>
/// </list>
/// </summary>
[Config(typeof(Columns))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[SimpleJob(warmupCount: 2, iterationCount: 8)]
public class SnapshotStoreBenchmarks
{
    private const int Batch = 1000;

    // The fenced statement without its fence: the same rows, the same conflict rule, into a twin table.
    private const string UnfencedSql = """
        INSERT INTO bench.snapshots (utterance_id, shard_id, epoch, frames, state, updated_at)
        SELECT t.utterance_id, t.shard_id, t.epoch, t.frames, t.state, now()
        FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bytea[])
            AS t (utterance_id, shard_id, epoch, frames, state)
        ON CONFLICT (utterance_id) DO UPDATE
            SET shard_id = excluded.shard_id, epoch = excluded.epoch, frames = excluded.frames,
                state = excluded.state, updated_at = excluded.updated_at
            WHERE bench.snapshots.frames <= excluded.frames
        """;

    private PostgresServer _server = null!;
    private NpgsqlDataSource _database = null!;
    private PostgresSnapshotStore _store = null!;
    private ChannelSnapshot[] _snapshots = null!;
    private FinishedUtterance[] _finished = null!;

    /// <summary>Bytes of state per snapshot (a GigaAM channel's saved state is about 4 KB).</summary>
    [Params(4096)]
    public int StateBytes { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = await PostgresServer.StartAsync(durable: true)
            ?? throw new InvalidOperationException("PostgreSQL is not installed (Debian package: postgresql)");
        _database = NpgsqlDataSource.Create(_server.ConnectionString());
        await SchemaMigrator.MigrateAsync(_database, CancellationToken.None);
        await using (var setup = _database.CreateCommand(
            "INSERT INTO svod.shards (shard_id, owner, epoch, state) SELECT s, 'bench', 1, 'owned' " +
            "FROM generate_series(0, 63) s; CREATE SCHEMA bench; " +
            "CREATE TABLE bench.snapshots (LIKE svod.snapshots INCLUDING ALL)"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        _store = new PostgresSnapshotStore(_database, "bench");
        var random = new Random(0);
        _snapshots = [.. Enumerable.Range(0, Batch).Select(i =>
        {
            var state = new byte[StateBytes];
            random.NextBytes(state);
            return new ChannelSnapshot($"utterance-{i}", i % 64, 1, 1000, state);
        })];
        _finished = [.. Enumerable.Range(0, Batch).Select(i =>
            new FinishedUtterance($"finished-{i}", i % 64, 1, new byte[200], TimeSpan.FromMinutes(10)))];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _database.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "snapshots: upsert without fence")]
    [BenchmarkCategory("snapshots")]
    public async Task UnfencedUpsert()
    {
        await using var command = _database.CreateCommand(UnfencedSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. _snapshots.Select(s => s.UtteranceId)] });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. _snapshots.Select(s => s.Shard)] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. _snapshots.Select(s => s.Epoch)] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. _snapshots.Select(s => s.Frames)] });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. _snapshots.Select(s => s.State)] });
        await command.ExecuteNonQueryAsync();
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "snapshots: fenced batch (svod)")]
    [BenchmarkCategory("snapshots")]
    public async Task FencedBatch()
    {
        if ((await _store.WriteAsync(_snapshots, CancellationToken.None)).Count > 0)
        {
            throw new InvalidOperationException("fenced: the shards are set up as this node's");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "finals: one statement per utterance")]
    [BenchmarkCategory("finals")]
    public async Task CompleteOneByOne()
    {
        foreach (var f in _finished)
        {
            await _store.CompleteAsync(f.UtteranceId, f.Shard, f.Epoch, f.Final!, f.Retention, CancellationToken.None);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "finals: one statement per batch (svod)")]
    [BenchmarkCategory("finals")]
    public async Task FinishBatch() => await _store.FinishAsync(_finished, CancellationToken.None);

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
