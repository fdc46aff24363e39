using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Cluster;

/// <summary>
/// This node's membership (docs/cluster.md, "Membership"): it joins with a fresh incarnation, heartbeats every
/// <c>heartbeat-interval</c> in one round trip that also reads the shards it owns, holds the lease those heartbeats
/// renew, releases shards the hand-off code is done with, and leaves gracefully.
/// </summary>
/// <remarks>
/// The lease is measured on this process's monotonic clock (<see cref="TimeProvider.GetTimestamp"/>) from the moment a
/// heartbeat was <em>sent</em>: the database stamps <c>heartbeat_at</c> later than that, and the coordinator waits
/// <c>failure-timeout</c> (longer than the lease) on its clock before it gives the shards away, so this node has
/// stopped serving before anyone else can start. <see cref="ViewChanged"/> and <see cref="LeaseLost"/> are raised on
/// the agent's own threads, one at a time, in order; handlers must not block (post to an actor, start a task).
/// </remarks>
public sealed partial class MemberAgent : IAsyncDisposable
{
    private readonly NpgsqlDataSource _database;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<MemberStats>? _stats;
    private readonly long _leaseTicks;

    /// <summary>Guards the view, the lease flags and the raising of events (so they arrive in order).</summary>
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _leaseTimer;
    private Task _loop = Task.CompletedTask;
    private ShardView _view = ShardView.Empty;

    /// <summary>Timestamp the lease runs until; 0 before the first heartbeat.</summary>
    private long _leaseUntil;
    private bool _leaseLossRaised;
    private volatile bool _lostForGood;
    private volatile bool _left;

    /// <summary>Set while the row is being set <c>removed</c>: a heartbeat finding no row then is not a take-over.
    /// </summary>
    private volatile bool _removing;
    private bool _leaving;
    private int _disposed;
    private bool _leaveRequestRaised;
    private int _state = (int)MemberState.Joining;

    /// <summary>Shards released at an epoch: a heartbeat that was read before the release must not bring them back.
    /// </summary>
    private readonly HashSet<(int Shard, long Epoch)> _released = [];

    /// <param name="nodeId">This node's row in <c>svod.members</c> (<c>svod.cluster.node-id</c>, resolved).</param>
    /// <param name="address">The stream URL clients reach this node at (<c>svod.cluster.advertise</c>, resolved).
    /// </param>
    /// <param name="stats">Read at every heartbeat for <c>svod cluster show</c>; null reports zeros.</param>
    public MemberAgent(NpgsqlDataSource database, ClusterOptions options, string nodeId, string address,
        TimeProvider? time = null, ILogger? logger = null, Func<MemberStats>? stats = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentException.ThrowIfNullOrEmpty(address);
        _database = database;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _stats = stats;
        NodeId = nodeId;
        Address = address;
        _leaseTicks = (long)(options.LeaseDuration.TotalSeconds * _time.TimestampFrequency);
        _leaseTimer = _time.CreateTimer(_ => OnLeaseTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The shards this node owns changed: serve <see cref="ShardViewChange.Gained"/>, hand off
    /// <see cref="ShardViewChange.HandingOff"/>, drop <see cref="ShardViewChange.Lost"/>.</summary>
    public event Action<ShardViewChange>? ViewChanged;

    /// <summary>The lease ran out or was taken away: stop every channel actor at once.</summary>
    public event Action<LeaseLoss>? LeaseLost;

    /// <summary>Someone (<c>svod cluster leave</c>) set this member <c>leaving</c>: the node should shut down
    /// gracefully, which calls <see cref="LeaveAsync"/>.</summary>
    public event Action? LeaveRequested;

    public string NodeId { get; }

    public string Address { get; }

    /// <summary>This process's incarnation; a new one on every <see cref="StartAsync"/>.</summary>
    public Guid Incarnation { get; private set; }

    /// <summary>The member state as of the last heartbeat.</summary>
    public MemberState State => (MemberState)Volatile.Read(ref _state);

    /// <summary>The shards this node owns as of its last heartbeat (minus those it released since).</summary>
    public ShardView View => Volatile.Read(ref _view);

    /// <summary>True while the node may serve its shards: a heartbeat sent less than <c>lease-duration</c> ago was
    /// acknowledged, and the member row is still this process's.</summary>
    public bool IsLeaseValid => !_lostForGood && !_left && _time.GetTimestamp() < Volatile.Read(ref _leaseUntil);

    /// <summary>The node may start utterances of <paramref name="shardId"/>: its lease is valid and it owns the shard,
    /// not handing it off.</summary>
    public bool Serves(int shardId) => IsLeaseValid && View.Serves(shardId);

    /// <summary>When the lease ends (a <see cref="TimeProvider.GetTimestamp"/> value); 0 before the first heartbeat.
    /// </summary>
    public long LeaseExpiresAt => Volatile.Read(ref _leaseUntil);

    /// <summary>The member row was taken over or removed: the lease will never come back; the process should exit.
    /// </summary>
    public bool IsLostForGood => _lostForGood;

    /// <summary>The node left gracefully (state removed).</summary>
    public bool HasLeft => _left;

    /// <summary>
    /// Checks the shard count (<see cref="ShardTable.EnsureAsync"/>), joins (new incarnation, state <c>joining</c>,
    /// the epochs of shards an earlier process with this node id owned bumped, in one transaction), sends the first
    /// heartbeat and starts the heartbeat loop. The coordinator turns the member <c>up</c>.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Incarnation != Guid.Empty)
        {
            throw new InvalidOperationException("the member agent was started already");
        }

        Incarnation = Guid.NewGuid();
        await ShardTable.EnsureAsync(_database, _options.Shards, cancellationToken);
        await JoinAsync(cancellationToken);
        var sent = await BeatAsync(cancellationToken);
        if (_lostForGood)
        {
            throw new InvalidOperationException(
                $"node {NodeId} was taken over by another process with the same node id while it joined");
        }

        if (!IsLeaseValid)
        {
            throw new InvalidOperationException($"node {NodeId} joined but its first heartbeat was not acknowledged");
        }

        _loop = Task.Run(() => HeartbeatLoopAsync(sent, _stop.Token), CancellationToken.None);
    }

    /// <summary>
    /// Graceful leave: state <c>leaving</c>, then heartbeats go on while the coordinator hands every shard off (the
    /// node's hand-off code releases them); when the database shows the node owns none, state <c>removed</c> and the
    /// heartbeats stop. Cancel <paramref name="cancellationToken"/> to give up waiting (the node then just stops; its
    /// remaining shards move when it is marked down).
    /// </summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        await using (var leaving = _database.CreateCommand(
                         "UPDATE svod.members SET state = 'leaving' " +
                         "WHERE node_id = $1 AND incarnation = $2 AND state IN ('joining', 'up', 'leaving')"))
        {
            leaving.Parameters.Add(new NpgsqlParameter { Value = NodeId });
            leaving.Parameters.Add(new NpgsqlParameter { Value = Incarnation });
            if (await leaving.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                LoseForGood();
                throw new InvalidOperationException(
                    $"node {NodeId} cannot leave: it was marked down or taken over by another process");
            }
        }

        lock (_gate)
        {
            _leaving = true;
        }

        ClusterLog.Leaving(_logger, NodeId, View.Count);
        while (true)
        {
            if (_lostForGood)
            {
                throw new InvalidOperationException(
                    $"node {NodeId} was marked down or taken over by another process while it was leaving");
            }

            if (View.Count == 0 && await TryRemoveAsync(cancellationToken))
            {
                break;
            }

            await Task.Delay(_options.HeartbeatInterval, _time, cancellationToken);
        }

        await _stop.CancelAsync();
        await AwaitLoopAsync();
        ClusterLog.Left(_logger, NodeId);
    }

    /// <summary>Stops the heartbeats without touching the database (the member row stays as it is: a node that
    /// crashed). A graceful stop calls <see cref="LeaveAsync"/> first.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await AwaitLoopAsync();
        await _leaseTimer.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>Tests: the heartbeats stop as if the process were paused; the lease runs out on its own clock.
    /// </summary>
    internal async Task PauseHeartbeatsAsync()
    {
        await _stop.CancelAsync();
        await AwaitLoopAsync();
    }

    private async Task AwaitLoopAsync()
    {
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private async Task JoinAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                // Before the row is overwritten: the session an earlier process with this id may hold the
                // coordinator lock with. Nobody else could end it, since this row's heartbeat is fresh from now on.
                Command("SELECT l.pid, pg_terminate_backend(l.pid) FROM svod.members m JOIN pg_locks l " +
                    "ON l.pid = m.coordinator_pid AND " + Coordinator.LockHeldSql + " WHERE m.node_id = $1",
                    NodeId),
                Command("INSERT INTO svod.members (node_id, incarnation, address, state, heartbeat_at, joined_at) " +
                    "VALUES ($1, $2, $3, 'joining', now(), now()) ON CONFLICT (node_id) DO UPDATE SET " +
                    "incarnation = excluded.incarnation, address = excluded.address, state = 'joining', " +
                    "heartbeat_at = now(), joined_at = now(), channels = 0, lanes_busy = 0, coordinator_pid = NULL",
                    NodeId, Incarnation, Address),
                // Fences an earlier process with this node id: its snapshot writes carry the old epochs.
                Command("UPDATE svod.shards SET epoch = epoch + 1, updated_at = now() WHERE owner = $1", NodeId),
            },
        };
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ClusterLog.PreviousCoordinatorTerminated(_logger, NodeId, reader.GetInt32(0));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        ClusterLog.Joined(_logger, NodeId, Incarnation, Address, batch.BatchCommands[2].RecordsAffected);
    }

    /// <summary>State <c>removed</c>, only when the database agrees the node owns no shard any more.</summary>
    private async Task<bool> TryRemoveAsync(CancellationToken cancellationToken)
    {
        await using var remove = _database.CreateCommand(
            "UPDATE svod.members SET state = 'removed' WHERE node_id = $1 AND incarnation = $2 AND state = 'leaving' " +
            "AND NOT EXISTS (SELECT 1 FROM svod.shards WHERE owner = $1)");
        remove.Parameters.Add(new NpgsqlParameter { Value = NodeId });
        remove.Parameters.Add(new NpgsqlParameter { Value = Incarnation });
        _removing = true;
        try
        {
            if (await remove.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                lock (_gate)
                {
                    _left = true;
                }

                return true;
            }

            return false;
        }
        finally
        {
            _removing = false;
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

    private void Raise<T>(Action<T>? handlers, T argument)
    {
        foreach (var handler in handlers?.GetInvocationList().Cast<Action<T>>() ?? [])
        {
            Guard(() => handler(argument));
        }
    }

    private void Raise(Action? handlers)
    {
        foreach (var handler in handlers?.GetInvocationList().Cast<Action>() ?? [])
        {
            Guard(handler);
        }
    }

    /// <summary>Each handler on its own, so that one failing does not keep the others from hearing the news.</summary>
    private void Guard(Action handler)
    {
        try
        {
            handler();
        }
        catch (Exception e)
        {
            ClusterLog.HandlerFailed(_logger, NodeId, e);
        }
    }
}
