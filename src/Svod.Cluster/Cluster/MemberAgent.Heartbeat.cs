using Npgsql;

namespace Svod.Cluster.Cluster;

public sealed partial class MemberAgent
{
    private async Task HeartbeatLoopAsync(long lastSent, CancellationToken cancellationToken)
    {
        while (!_lostForGood)
        {
            // Paced from send to send: a slow heartbeat does not push the next one later.
            var wait = _options.HeartbeatInterval - _time.GetElapsedTime(lastSent);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken);
            }

            lastSent = await BeatAsync(cancellationToken);
        }
    }

    /// <summary>
    /// One heartbeat, one round trip: renew <c>heartbeat_at</c> and the stats where the row is still this
    /// incarnation's and alive, and read the shards this node owns. Returns the send time. A failure keeps the lease
    /// as it was (it runs out on its own); 0 rows updated loses it for good.
    /// </summary>
    private async Task<long> BeatAsync(CancellationToken cancellationToken)
    {
        var stats = ReadStats();
        var sent = _time.GetTimestamp();
        try
        {
            // An answer later than the lease would renew nothing: it would expire on arrival.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_options.LeaseDuration);
            await using var batch = _database.CreateBatch();
            batch.BatchCommands.Add(Command(
                "UPDATE svod.members SET heartbeat_at = now(), channels = $3, lanes_busy = $4 " +
                "WHERE node_id = $1 AND incarnation = $2 AND state IN ('joining', 'up', 'leaving') RETURNING state",
                NodeId, Incarnation, stats.Channels, stats.LanesBusy));
            batch.BatchCommands.Add(Command(
                "SELECT shard_id, epoch, state, handoff_to FROM svod.shards WHERE owner = $1 ORDER BY shard_id",
                NodeId));
            await using var reader = await batch.ExecuteReaderAsync(deadline.Token);
            string? state = null;
            if (await reader.ReadAsync(deadline.Token))
            {
                state = reader.GetString(0);
            }

            await reader.NextResultAsync(deadline.Token);
            var shards = new List<ShardLease>();
            while (await reader.ReadAsync(deadline.Token))
            {
                shards.Add(new ShardLease(reader.GetInt32(0), reader.GetInt64(1),
                    reader.GetString(2) == "handoff", reader.IsDBNull(3) ? null : reader.GetString(3)));
            }

            if (state is not null)
            {
                Renew(sent, ClusterStates.ParseMember(state), shards);
            }
            else if (!_removing && !_left)
            {
                // Not our own leave setting the row removed: someone else's row now, or marked down.
                LoseForGood();
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            ClusterLog.HeartbeatFailed(_logger, NodeId, LeaseLeft(), e);
        }

        return sent;
    }

    private MemberStats ReadStats()
    {
        try
        {
            return _stats?.Invoke() ?? default;
        }
        catch (Exception e)
        {
            ClusterLog.HandlerFailed(_logger, NodeId, e);
            return default;
        }
    }

    private TimeSpan LeaseLeft()
    {
        var left = Volatile.Read(ref _leaseUntil) - _time.GetTimestamp();
        return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / _time.TimestampFrequency);
    }

    private void Renew(long sent, MemberState state, List<ShardLease> shards)
    {
        var raiseLeave = false;
        lock (_gate)
        {
            if (_lostForGood || _left)
            {
                return;
            }

            var until = sent + _leaseTicks;
            if (until > _leaseUntil)
            {
                Volatile.Write(ref _leaseUntil, until);
            }

            Volatile.Write(ref _state, (int)state);
            if (_leaseLossRaised && IsLeaseValid)
            {
                _leaseLossRaised = false;
                ClusterLog.LeaseRegained(_logger, NodeId);
            }

            // A release that committed after this heartbeat read the shards: keep it released. Once a heartbeat no
            // longer shows the shard at that epoch, the database has caught up and the entry is done.
            _released.RemoveWhere(r => !shards.Exists(s => s.ShardId == r.Shard && s.Epoch == r.Epoch));
            shards.RemoveAll(s => _released.Contains((s.ShardId, s.Epoch)));
            Apply(shards.ToDictionary(s => s.ShardId), released: []);
            if (state == MemberState.Leaving && !_leaving && !_leaveRequestRaised)
            {
                _leaveRequestRaised = true;
                raiseLeave = true;
            }
        }

        _leaseTimer.Change(LeaseLeft() + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        if (raiseLeave)
        {
            Raise(LeaveRequested);
        }
    }

    private void OnLeaseTimer()
    {
        lock (_gate)
        {
            if (_leaseLossRaised || _lostForGood || _left)
            {
                return;
            }

            var until = Volatile.Read(ref _leaseUntil);
            if (_time.GetTimestamp() < until)
            {
                // Renewed meanwhile, or the timer (millisecond ticks) fired a hair before the monotonic clock got
                // there: look again when it should end.
                _leaseTimer.Change(LeaseLeft() + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
                return;
            }

            _leaseLossRaised = true;
            ClusterLog.LeaseExpired(_logger, NodeId, _options.LeaseDuration, _view.Count);
            Raise(LeaseLost, new LeaseLoss(Permanent: false, until));
        }
    }

    /// <summary>The member row is no longer this process's: taken over by a newer process with this node id, or marked
    /// down or removed. Every shard is lost and the lease never comes back.</summary>
    private void LoseForGood()
    {
        lock (_gate)
        {
            if (_lostForGood)
            {
                return;
            }

            _lostForGood = true;
            ClusterLog.LeaseLostForGood(_logger, NodeId, Incarnation);
            Apply([], released: []);
            Raise(LeaseLost, new LeaseLoss(Permanent: true, _time.GetTimestamp()));
        }
    }
}
