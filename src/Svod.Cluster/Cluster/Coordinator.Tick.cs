using Npgsql;
using NpgsqlTypes;

namespace Svod.Cluster.Cluster;

public sealed partial class Coordinator
{
    /// <summary>
    /// One tick, one transaction on the lock's session: record this session as the coordinator's; stale members
    /// <c>down</c> (database clock); <c>joining → up</c>; read the members and shards under row locks; apply
    /// <see cref="ShardAllocation.Tick"/>'s changes in one statement; commit. Killed anywhere before the commit, it
    /// leaves the tables as they were. False (nothing done) when this node's member row is not this process's.
    /// </summary>
    private async Task<bool> TickAsync(CancellationToken cancellationToken)
    {
        await using var transaction = await _session!.BeginTransactionAsync(cancellationToken);
        var read = await ReadAsync(transaction, cancellationToken);
        if (read is null)
        {
            return false;
        }

        var (downs, ups, members, shards) = read.Value;
        var limit = ShardAllocation.RoundLimit(shards.Count, _options.RebalanceAbsoluteLimit,
            _options.RebalanceRelativeLimit);
        var changes = ShardAllocation.Tick(members, shards, limit);
        if (changes.Count > 0)
        {
            await using var apply = new NpgsqlCommand(
                "UPDATE svod.shards AS s SET owner = c.owner, epoch = c.epoch, state = c.state, " +
                "handoff_to = c.handoff_to, updated_at = now() " +
                "FROM unnest($1, $2, $3, $4, $5) AS c(shard_id, owner, epoch, state, handoff_to) " +
                "WHERE s.shard_id = c.shard_id", _session, transaction)
            {
                Parameters =
                {
                    Array(NpgsqlDbType.Integer, changes.Select(c => c.After.ShardId)),
                    Array(NpgsqlDbType.Text, changes.Select(c => c.After.Owner)),
                    Array(NpgsqlDbType.Bigint, changes.Select(c => c.After.Epoch)),
                    Array(NpgsqlDbType.Text, changes.Select(c => c.After.State.ToSql())),
                    Array(NpgsqlDbType.Text, changes.Select(c => c.After.HandoffTo)),
                },
            };
            await apply.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        Interlocked.Increment(ref _ticks);
        Report(downs, ups, changes, limit);
        return true;
    }

    private async Task<(List<string> Downs, List<string> Ups, List<MemberRow> Members, List<ShardRow> Shards)?>
        ReadAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(_session, transaction)
        {
            BatchCommands =
            {
                // Only the lock holder's row names a session: an earlier coordinator's entry is stale.
                Command("UPDATE svod.members SET coordinator_pid = NULL WHERE coordinator_pid IS NOT NULL AND " +
                    "node_id <> $1 RETURNING node_id", _member.NodeId),
                Command("UPDATE svod.members SET coordinator_pid = pg_backend_pid() WHERE node_id = $1 AND " +
                    "incarnation = $2 AND state IN ('joining', 'up', 'leaving') RETURNING node_id",
                    _member.NodeId, _member.Incarnation),
                // Nobody can heartbeat while the server is down: silence counts from its start at the earliest, or
                // the first node back as coordinator after a restart would mark every member not yet back down.
                Command("UPDATE svod.members SET state = 'down' WHERE state IN ('joining', 'up', 'leaving') AND " +
                    "now() - greatest(heartbeat_at, pg_postmaster_start_time()) > $1 RETURNING node_id",
                    _options.FailureTimeout),
                Command("UPDATE svod.members SET state = 'up' WHERE state = 'joining' RETURNING node_id"),
                // From here on the tick decides from rows nobody else can change before it commits (members first,
                // then shards: the order joins take too).
                Command("SELECT node_id, state FROM svod.members ORDER BY node_id FOR UPDATE"),
                Command("SELECT shard_id, owner, epoch, state, handoff_to, " +
                    "state = 'handoff' AND now() - updated_at > $1 FROM svod.shards ORDER BY shard_id FOR UPDATE",
                    _options.HandoffTimeout),
            },
        };
        // Every statement returns rows, so each is one result set, in order.
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        await reader.NextResultAsync(cancellationToken);
        var downs = await ReadNodesAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var ups = await ReadNodesAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var members = new List<MemberRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            members.Add(new MemberRow(reader.GetString(0), ClusterStates.ParseMember(reader.GetString(1))));
        }

        await reader.NextResultAsync(cancellationToken);
        var shards = new List<ShardRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            shards.Add(new ShardRow(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2), ClusterStates.ParseShard(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetBoolean(5)));
        }

        return (downs, ups, members, shards);
    }

    private static async Task<List<string>> ReadNodesAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var nodes = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            nodes.Add(reader.GetString(0));
        }

        return nodes;
    }

    private void Report(List<string> downs, List<string> ups, IReadOnlyList<ShardChange> changes, int limit)
    {
        foreach (var node in downs)
        {
            ClusterLog.MemberDown(_logger, node, _options.FailureTimeout);
        }

        foreach (var node in ups)
        {
            ClusterLog.MemberUp(_logger, node);
        }

        foreach (var (kind, before, after) in changes)
        {
            switch (kind)
            {
                case ShardChangeKind.Allocated:
                    ClusterLog.Allocated(_logger, after.ShardId, after.Owner!, after.Epoch, before.Owner ?? "nobody");
                    break;
                case ShardChangeKind.HandoffStarted:
                    ClusterLog.HandoffStarted(_logger, after.ShardId, after.Owner!, after.HandoffTo ?? "nobody",
                        after.Epoch);
                    break;
                case ShardChangeKind.HandoffCompleted:
                    ClusterLog.HandoffCompleted(_logger, after.ShardId, after.Owner!, after.Epoch,
                        before.Owner ?? "released");
                    break;
                case ShardChangeKind.HandoffCancelled:
                    ClusterLog.HandoffCancelled(_logger, after.ShardId, before.Owner ?? "nobody",
                        before.HandoffTo ?? "nobody",
                        before.HandoffExpired ? "handoff-timeout passed" : "the owner or the target is gone");
                    break;
                case ShardChangeKind.Unowned:
                    ClusterLog.ShardUnowned(_logger, after.ShardId);
                    break;
            }
        }

        if (changes.Count > 0)
        {
            int Count(ShardChangeKind kind) => changes.Count(c => c.Kind == kind);
            ClusterLog.TickChanged(_logger, Count(ShardChangeKind.Allocated), Count(ShardChangeKind.HandoffStarted),
                Count(ShardChangeKind.HandoffCompleted), Count(ShardChangeKind.HandoffCancelled));
            if (Count(ShardChangeKind.HandoffStarted) is var started and > 0)
            {
                ClusterLog.RoundStarted(_logger, started, limit);
            }
        }
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return command;
    }

    private static NpgsqlParameter Array<T>(NpgsqlDbType type, IEnumerable<T> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | type, Value = values.ToArray() };
}
