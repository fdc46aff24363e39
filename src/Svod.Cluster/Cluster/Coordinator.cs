using System.Data;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Cluster;

/// <summary>
/// Runs in every node; the one whose dedicated session holds the cluster's advisory lock coordinates (docs/cluster.md,
/// "Coordinator"): every <c>coordinator-interval</c> one tick, one transaction, on that same session, so a tick can
/// only commit while its session still holds the lock. The others try the lock each interval, and end the session of
/// a coordinator whose member row has gone stale (a paused process keeps its session and its lock).
/// </summary>
/// <remarks>
/// It coordinates only while its own node's lease is valid: a node that cannot renew its lease is not trusted to
/// decide for others. It keeps the lock meanwhile, as a paused process would; its row then goes stale and another node
/// ends its session. Its state is only the tables, so whoever ticks next continues from them.
/// </remarks>
public sealed partial class Coordinator : IAsyncDisposable
{
    /// <summary>Key of the coordinator's session-level advisory lock: "SVOD" and 2 (the migration lock is 1).</summary>
    internal const long LockKey = 0x5356_4F44_0000_0002;

    /// <summary>A condition on <c>pg_locks l</c>: the row is the coordinator lock, granted. A bigint advisory key
    /// shows as classid (high half), objid (low half), objsubid 1.</summary>
    internal static readonly string LockHeldSql = string.Create(CultureInfo.InvariantCulture,
        $"l.locktype = 'advisory' AND l.granted AND l.classid::bigint = {LockKey >> 32} AND " +
        $"l.objid::bigint = {LockKey & 0xFFFF_FFFF} AND l.objsubid = 1");

    private readonly string _connectionString;
    private readonly ClusterOptions _options;
    private readonly MemberAgent _member;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private NpgsqlConnection? _session;
    private volatile bool _holding;
    private volatile int _pid;
    private long _ticks;
    private int _disposed;

    /// <param name="options">Its <see cref="ClusterOptions.Postgres"/> opens the dedicated session, outside any
    /// pool: closing it must end the session, and with it the lock.</param>
    /// <param name="member">This node's agent: the coordinator acts only while its lease is valid and records its
    /// session in its member row.</param>
    public Coordinator(ClusterOptions options, MemberAgent member, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(member);
        _options = options;
        _member = member;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _connectionString = new NpgsqlConnectionStringBuilder(options.Postgres)
        {
            Pooling = false,
            ApplicationName = $"svod coordinator {member.NodeId}",
        }.ConnectionString;
    }

    /// <summary>True while this node holds the coordinator lock (as far as it knows: a session ended by another node
    /// is noticed at its next use).</summary>
    public bool IsCoordinator => _holding;

    /// <summary>Ticks this node committed as coordinator.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Backend pid of the dedicated session while it is open.</summary>
    public int? BackendPid => _pid == 0 ? null : _pid;

    public void Start()
    {
        if (!_loop.IsCompleted || _stop.IsCancellationRequested)
        {
            throw new InvalidOperationException("the coordinator was started already");
        }

        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Stops and closes the dedicated session, which releases the lock at once (another node takes over at
    /// its next try). A tick in progress is rolled back.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        await CloseSessionAsync();
        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = _time.GetTimestamp();
            try
            {
                await StepAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (_session is { State: ConnectionState.Open } && e is PostgresException)
                {
                    // The statement failed but the session (and the lock) is intact; the transaction was rolled back.
                    ClusterLog.TickFailed(_logger, _member.NodeId, e);
                }
                else
                {
                    if (_holding)
                    {
                        ClusterLog.CoordinatorLost(_logger, _member.NodeId, e);
                    }
                    else
                    {
                        ClusterLog.LockAttemptFailed(_logger, _member.NodeId, e);
                    }

                    await CloseSessionAsync();
                }
            }

            var wait = _options.CoordinatorInterval - _time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken);
            }
        }
    }

    private async Task StepAsync(CancellationToken cancellationToken)
    {
        if (_member.HasLeft || _member.IsLostForGood)
        {
            if (_session is not null)
            {
                ClusterLog.CoordinatorResigned(_logger, _member.NodeId,
                    _member.HasLeft ? "the node left the cluster" : "the node's member row was taken over or removed");
                await CloseSessionAsync();
            }

            return;
        }

        if (!_member.IsLeaseValid)
        {
            if (_holding)
            {
                // Not ticking, but find out whether the session still exists (another node may have ended it).
                await using var probe = new NpgsqlCommand("SELECT 1", _session);
                await probe.ExecuteScalarAsync(cancellationToken);
            }

            return;
        }

        if (!_holding && !await AcquireAsync(cancellationToken))
        {
            return;
        }

        if (!await TickAsync(cancellationToken))
        {
            ClusterLog.CoordinatorResigned(_logger, _member.NodeId, "its member row is not this process's");
            await CloseSessionAsync();
        }
    }

    /// <summary>Tries the lock; failing that, ends a stale coordinator's session and tries once more.</summary>
    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_session is null)
        {
            var session = new NpgsqlConnection(_connectionString);
            try
            {
                await session.OpenAsync(cancellationToken);
            }
            catch
            {
                await session.DisposeAsync();
                throw;
            }

            _session = session;
            _pid = session.ProcessID;
        }

        if (!await TryLockAsync(cancellationToken) &&
            (!await TerminateStaleAsync(cancellationToken) || !await TryLockAsync(cancellationToken)))
        {
            return false;
        }

        _holding = true;
        ClusterLog.CoordinatorAcquired(_logger, _member.NodeId, _pid);
        return true;
    }

    private async Task<bool> TryLockAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", _session)
        {
            Parameters = { new NpgsqlParameter { Value = LockKey } },
        };
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Ends the session of a coordinator whose member row is older than <c>failure-timeout</c> by the
    /// database's clock, if that session still holds the lock (a pid alone could have been reused). Waits up to a
    /// second for it to end. True when one was ended.</summary>
    private async Task<bool> TerminateStaleAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT m.node_id, m.coordinator_pid, pg_terminate_backend(m.coordinator_pid, 1000) FROM svod.members m " +
            "WHERE m.coordinator_pid IS NOT NULL AND now() - m.heartbeat_at > $1 AND " +
            "EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = m.coordinator_pid AND " + LockHeldSql + ")", _session)
        {
            Parameters = { new NpgsqlParameter { Value = _options.FailureTimeout } },
        };
        var terminated = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ClusterLog.CoordinatorTerminated(_logger, _member.NodeId, reader.GetInt32(1), reader.GetString(0),
                _options.FailureTimeout);
            terminated |= reader.GetBoolean(2);
        }

        return terminated;
    }

    private async Task CloseSessionAsync()
    {
        _holding = false;
        if (_session is { } session)
        {
            _session = null;
            _pid = 0;
            await session.DisposeAsync();
        }
    }
}
