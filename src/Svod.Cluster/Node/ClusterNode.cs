using Microsoft.Extensions.Logging;
using Npgsql;
using Svod.Client.Protocol;
using Svod.Cluster.Cluster;
using Svod.Cluster.Configuration;
using Svod.Cluster.Persistence;

namespace Svod.Cluster.Node;

/// <summary>
/// A node's membership in a cluster (docs/cluster.md): its member agent and coordinator, the shard map it answers
/// clients and redirects with, and what it does when its shards change — hand off (flush the shard's snapshots, send
/// its clients to the new owner, release), drop lost shards, stop everything when the lease is gone.
/// </summary>
public sealed partial class ClusterNode : IShardOwnership, IClusterAdmin, IAsyncDisposable
{
    private readonly ClusterOptions _options;
    private readonly ILogger _log;
    private readonly MemberAgent _agent;
    private readonly Coordinator _coordinator;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<string> _leave = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NodeHost? _node;
    private Task _mapLoop = Task.CompletedTask;
    private ShardMapView _map;
    private IReadOnlyList<ClusterShard> _shards = [];

    private ClusterNode(NpgsqlDataSource database, ClusterOptions options, string nodeId, string address,
        ILoggerFactory? logs)
    {
        Database = database;
        _options = options;
        _log = (ILogger?)logs?.CreateLogger<ClusterNode>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        NodeId = nodeId;
        Address = address;
        _map = new ShardMapView(0, [.. Enumerable.Repeat<(string?, long)>((null, 0), options.Shards)]);
        _agent = new MemberAgent(database, options, nodeId, address, TimeProvider.System,
            logs?.CreateLogger<MemberAgent>(),
            () => _node is { } n ? new MemberStats(n.OpenChannels, (float)n.LanesBusy) : new MemberStats(0, 0));
        _coordinator = new Coordinator(options, _agent, TimeProvider.System, logs?.CreateLogger<Coordinator>());
    }

    public NpgsqlDataSource Database { get; }

    public string NodeId { get; }

    public string Address { get; }

    public int ShardCount => _options.Shards;

    public ShardMapView Map => Volatile.Read(ref _map);

    /// <summary>Completes with the reason when this node must leave: asked to (<c>svod cluster leave</c>), or its
    /// member row was taken away.</summary>
    public Task<string> LeaveRequested => _leave.Task;

    /// <summary>Connects and brings the schema to this build's version; the node joins later, in
    /// <see cref="StartAsync"/>, once it listens.</summary>
    public static async Task<ClusterNode> OpenAsync(ClusterOptions options, string nodeId, string address,
        ILoggerFactory? logs, CancellationToken cancellationToken)
    {
        // Bursts of starts each read or forget a snapshot: a bounded pool queues them instead of exhausting the
        // server's connections (three nodes at Npgsql's default of 100 already pass PostgreSQL's default limit).
        var connection = new NpgsqlConnectionStringBuilder(options.Postgres);
        if (!options.Postgres.Contains("pool size", StringComparison.OrdinalIgnoreCase))
        {
            connection.MaxPoolSize = 32;
        }

        var database = NpgsqlDataSource.Create(connection.ConnectionString);
        try
        {
            await SchemaMigrator.MigrateAsync(database, cancellationToken);
            return new ClusterNode(database, options, nodeId, address, logs);
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>The snapshot store of this node: fenced by its node id; snapshots untouched for
    /// <paramref name="abandonedAfter"/> are removed as abandoned.</summary>
    public ISnapshotStore CreateStore(TimeSpan abandonedAfter) => new PostgresSnapshotStore(Database, NodeId, abandonedAfter);

    /// <summary>Joins the cluster as <paramref name="node"/>'s membership and starts coordinating.</summary>
    public async Task StartAsync(NodeHost node, CancellationToken cancellationToken)
    {
        _node = node;
        _agent.ViewChanged += OnViewChanged;
        _agent.LeaseLost += OnLeaseLost;
        _agent.LeaveRequested += () => _leave.TrySetResult("asked to leave (svod cluster leave)");
        await _agent.StartAsync(cancellationToken);
        _coordinator.Start();
        await RefreshMapAsync(cancellationToken);
        _mapLoop = Task.Run(RefreshMapLoopAsync, CancellationToken.None);
    }

    /// <summary>The member row is no longer this process's (marked down, or another process took the node id): it
    /// serves nothing and cannot leave; started again, the node rejoins.</summary>
    public bool MembershipLost => _agent.IsLostForGood;

    /// <summary>Graceful leave: the coordinator hands every shard off (this node flushes and releases each), then the
    /// member is removed. Gives up after <paramref name="patience"/>. Nothing to do once the membership is lost: its
    /// shards are others' already (see <see cref="MembershipLost"/>).</summary>
    public async Task LeaveAsync(TimeSpan patience)
    {
        if (MembershipLost)
        {
            return;
        }

        using var deadline = new CancellationTokenSource(patience);
        try
        {
            await _agent.LeaveAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            LogLeaveTimedOut(_log, patience.TotalSeconds);
        }
        catch (InvalidOperationException) when (MembershipLost)
        {
            // Marked down or taken over while leaving.
        }
    }

    public bool TryServe(int shard, out long epoch)
    {
        epoch = 0;
        if (!_agent.Serves(shard) || !_agent.View.Shards.TryGetValue(shard, out var lease))
        {
            return false;
        }

        epoch = lease.Epoch;
        return true;
    }

    public (string Address, long Epoch)? Owner(int shard)
    {
        var (address, epoch) = Map.Shards[shard];
        return address is null || address == Address ? null : (address, epoch);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _mapLoop;
        await _coordinator.DisposeAsync();
        await _agent.DisposeAsync();
        await Database.DisposeAsync();
        _stopping.Dispose();
    }

    private void OnViewChanged(ShardViewChange change)
    {
        foreach (var lease in change.Lost)
        {
            _node?.StopShard(lease.ShardId, null);
        }

        foreach (var lease in change.HandingOff)
        {
            _ = HandOffAsync(lease);
        }

        if (change.Gained.Count + change.Lost.Count + change.Released.Count > 0)
        {
            _ = RefreshMapAsync(_stopping.Token);
        }
    }

    /// <summary>Flushes the shard's snapshots (its clients get Acks), sends its clients to the new owner, releases it.
    /// </summary>
    private async Task HandOffAsync(ShardLease lease)
    {
        try
        {
            if (_node is { } node)
            {
                await node.FlushSnapshotsAsync(_stopping.Token);
                var target = lease.HandoffTo is { } to ? _shards.FirstOrDefault(s => s.Owner == to)?.OwnerAddress : null;
                node.StopShard(lease.ShardId, target is null ? null : (target, lease.Epoch + 1));
            }

            await _agent.ReleaseAsync(lease.ShardId, lease.Epoch, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
#pragma warning disable CA1031 // A hand-off that fails is retried by the coordinator (or times out and is cancelled).
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogHandoffFailed(_log, lease.ShardId, e);
        }
    }

    private void OnLeaseLost(LeaseLoss loss)
    {
        _node?.StopAllShards(loss.Permanent
            ? "this node's membership was taken away"
            : "this node lost its lease on its shards (cut off from the cluster database)");
        if (loss.Permanent)
        {
            _leave.TrySetResult("its member row was taken away (marked down, or another process took its node id)");
        }
    }

    private async Task RefreshMapLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await RefreshMapAsync(_stopping.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private async Task RefreshMapAsync(CancellationToken cancellationToken)
    {
        try
        {
            var shards = await ClusterDirectory.ReadShardsAsync(Database, cancellationToken);
            // An owner whose heartbeat is older than a lease is probably gone: clients are told to retry rather than
            // sent to it, until the coordinator gives its shards to others.
            var suspect = (await ClusterDirectory.ReadMembersAsync(Database, cancellationToken))
                .Where(m => m.HeartbeatAge > _options.LeaseDuration || m.State is MemberState.Down or MemberState.Removed)
                .Select(m => m.NodeId).ToHashSet(StringComparer.Ordinal);
            var entries = shards.Select(s => (s.State == ShardState.Unowned || s.Owner is null || suspect.Contains(s.Owner)
                ? null
                : s.OwnerAddress, s.Epoch)).ToArray();
            var current = Map;
            if (!entries.SequenceEqual(current.Shards))
            {
                Volatile.Write(ref _map, new ShardMapView(current.Version + 1, entries));
            }

            _shards = shards;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
#pragma warning disable CA1031 // The map is advisory (clients are redirected anyway); a database hiccup keeps the old one.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogMapFailed(_log, e);
        }
    }

    [LoggerMessage(1300, LogLevel.Warning, "hand-off of shard {Shard} failed")]
    private static partial void LogHandoffFailed(ILogger log, int shard, Exception error);

    [LoggerMessage(1301, LogLevel.Debug, "reading the shard map failed")]
    private static partial void LogMapFailed(ILogger log, Exception error);

    [LoggerMessage(1302, LogLevel.Warning, "leaving the cluster did not complete within {Seconds} s; exiting anyway")]
    private static partial void LogLeaveTimedOut(ILogger log, double seconds);
}
