using System.Collections.Frozen;
using Npgsql;

namespace Svod.Cluster.Persistence;

/// <summary>
/// Snapshots and finals in the cluster's PostgreSQL (tables <c>svod.snapshots</c> and <c>svod.finals</c>,
/// docs/cluster.md "Schema"). Every write is one statement, fenced in SQL by a join on <c>svod.shards</c>: it lands
/// only while the shard's row names this node as owner at the snapshot's epoch, whatever the shard's state (an owner
/// flushes a shard in <c>handoff</c> before it releases it). The data source is the caller's: it is not disposed
/// here.
/// </summary>
public sealed class PostgresSnapshotStore : ISnapshotStore
{
    // One round trip per batch: the batch travels as five parallel arrays. A snapshot is written when its shard is
    // ours at its epoch and the stored one (if any) has no more frames; RETURNING names the ones written. The caller
    // removes duplicate ids first: ON CONFLICT DO UPDATE cannot touch one row twice in a statement.
    private const string WriteSql = """
        INSERT INTO svod.snapshots (utterance_id, shard_id, epoch, frames, state, updated_at)
        SELECT t.utterance_id, t.shard_id, t.epoch, t.frames, t.state, now()
        FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bytea[])
            AS t (utterance_id, shard_id, epoch, frames, state)
        JOIN svod.shards s ON s.shard_id = t.shard_id AND s.epoch = t.epoch AND s.owner = $6
        ON CONFLICT (utterance_id) DO UPDATE
            SET shard_id = excluded.shard_id, epoch = excluded.epoch, frames = excluded.frames,
                state = excluded.state, updated_at = excluded.updated_at
            WHERE svod.snapshots.frames <= excluded.frames
        RETURNING utterance_id
        """;

    // Completions and deletions of many utterances in one statement, so one transaction: the fence is read once and
    // every change depends on it. Ids are unique (FinishedUtterance.LastOfEach), so the DELETE and the INSERT on
    // finals never touch one row twice. Data-modifying CTEs run whether or not the outer query reads them; the outer
    // SELECT names the utterances whose fence held.
    private const string FinishSql = """
        WITH owned AS (
            SELECT t.utterance_id, t.shard_id, t.result, t.retention
            FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bytea[], $5::interval[])
                AS t (utterance_id, shard_id, epoch, result, retention)
            JOIN svod.shards s ON s.shard_id = t.shard_id AND s.epoch = t.epoch AND s.owner = $6),
        dropped AS (
            DELETE FROM svod.snapshots n USING owned o WHERE n.utterance_id = o.utterance_id),
        forgotten AS (
            DELETE FROM svod.finals f USING owned o WHERE f.utterance_id = o.utterance_id AND o.result IS NULL),
        kept AS (
            INSERT INTO svod.finals (utterance_id, shard_id, result, expires_at)
            SELECT utterance_id, shard_id, result, now() + retention FROM owned WHERE result IS NOT NULL
            ON CONFLICT (utterance_id) DO UPDATE
                SET shard_id = excluded.shard_id, result = excluded.result, expires_at = excluded.expires_at)
        SELECT utterance_id FROM owned
        """;

    private const string ReadSql = "SELECT shard_id, epoch, frames, state FROM svod.snapshots WHERE utterance_id = $1";

    private const string ReadFinalSql = "SELECT result FROM svod.finals WHERE utterance_id = $1 AND expires_at > now()";

    private const string ExpireSql = "DELETE FROM svod.finals WHERE expires_at <= now()";

    // Snapshots nobody has written for that long belong to utterances whose clients never came back.
    private const string AbandonSql = "DELETE FROM svod.snapshots WHERE updated_at < now() - $1::interval";

    private readonly NpgsqlDataSource _database;
    private readonly string _nodeId;
    private readonly TimeSpan _abandonedAfter;

    /// <param name="abandonedAfter">A snapshot not written for this long is removed by <see cref="ExpireAsync"/>:
    /// its client vanished and never resumed the utterance. Default 10 minutes.</param>
    public PostgresSnapshotStore(NpgsqlDataSource database, string nodeId, TimeSpan? abandonedAfter = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        _database = database;
        _nodeId = nodeId;
        _abandonedAfter = abandonedAfter ?? TimeSpan.FromMinutes(10);
    }

    /// <inheritdoc/>
    public bool IsShared => true;

    public async Task<IReadOnlySet<string>> WriteAsync(IReadOnlyList<ChannelSnapshot> batch,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return FrozenSet<string>.Empty;
        }

        var newest = SnapshotBatch.Newest(batch);
        var ids = new string[newest.Count];
        var shards = new int[newest.Count];
        var epochs = new long[newest.Count];
        var frames = new long[newest.Count];
        var states = new byte[newest.Count][];
        for (var i = 0; i < newest.Count; i++)
        {
            (ids[i], shards[i], epochs[i], frames[i], states[i]) = newest[i];
        }

        await using var command = _database.CreateCommand(WriteSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = shards });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = epochs });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = frames });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = states });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _nodeId });

        var skipped = new HashSet<string>(ids, StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            skipped.Remove(reader.GetString(0));
        }

        return skipped;
    }

    public async Task<ChannelSnapshot?> ReadAsync(string utteranceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(utteranceId);
        await using var command = _database.CreateCommand(ReadSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = utteranceId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ChannelSnapshot(utteranceId, reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2),
                reader.GetFieldValue<byte[]>(3))
            : null;
    }

    public async Task<bool> CompleteAsync(string utteranceId, int shard, long epoch, byte[] final, TimeSpan retention,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(final);
        return (await FinishAsync([new FinishedUtterance(utteranceId, shard, epoch, final, retention)],
            cancellationToken)).Count == 0;
    }

    public Task DeleteAsync(string utteranceId, int shard, long epoch, CancellationToken cancellationToken) =>
        FinishAsync([new FinishedUtterance(utteranceId, shard, epoch, null, TimeSpan.Zero)], cancellationToken);

    public async Task<IReadOnlySet<string>> FinishAsync(IReadOnlyList<FinishedUtterance> batch,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return FrozenSet<string>.Empty;
        }

        var last = FinishedUtterance.LastOfEach(batch);
        await using var command = _database.CreateCommand(FinishSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. last.Select(f => f.UtteranceId)] });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. last.Select(f => f.Shard)] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. last.Select(f => f.Epoch)] });
        command.Parameters.Add(new NpgsqlParameter<byte[]?[]> { TypedValue = [.. last.Select(f => f.Final)] });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan[]> { TypedValue = [.. last.Select(f => f.Retention)] });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _nodeId });

        var fenced = new HashSet<string>(last.Select(f => f.UtteranceId), StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            fenced.Remove(reader.GetString(0));
        }

        return fenced;
    }

    public async Task<byte[]?> ReadFinalAsync(string utteranceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(utteranceId);
        await using var command = _database.CreateCommand(ReadFinalSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = utteranceId });
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    /// <summary>Removes finals past their retention (returns how many) and snapshots abandoned for longer than the
    /// store's abandonment time.</summary>
    public async Task<int> ExpireAsync(CancellationToken cancellationToken)
    {
        await using (var abandoned = _database.CreateCommand(AbandonSql))
        {
            abandoned.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = _abandonedAfter });
            await abandoned.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = _database.CreateCommand(ExpireSql);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Nothing to release: the data source belongs to the caller.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
