using Npgsql;
using Svod.Cluster.Cluster;
using Svod.Cluster.Configuration;
using Svod.Cluster.Tests.Actors;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>
/// A node's cluster parts in this process: its own data source, member agent and (optionally) coordinator, with the
/// hand-off code reduced to its last step: <paramref name="releaseDelay"/> after a shard is to be handed off (the time
/// its snapshots would take), release it.
/// </summary>
internal sealed class TestNode : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _releases = [];
    private readonly TimeSpan _releaseDelay;
    private readonly CapturedLogs _logs;
    private readonly OwnershipLog? _ownership;
    private bool _stopped;

    private TestNode(string id, ClusterOptions options, CapturedLogs logs, OwnershipLog? ownership,
        TimeSpan releaseDelay)
    {
        Id = id;
        Options = options;
        Database = NpgsqlDataSource.Create(options.Postgres);
        _logs = logs;
        _ownership = ownership;
        _releaseDelay = releaseDelay;
        Agent = new MemberAgent(Database, options, id, $"ws://{id}/v1/stream", logger: logs.CreateLogger(id));
        ownership?.Watch(Agent);
        Agent.ViewChanged += HandOff;
    }

    public string Id { get; }

    public ClusterOptions Options { get; }

    public NpgsqlDataSource Database { get; }

    public MemberAgent Agent { get; }

    public Coordinator? Coordinator { get; private set; }

    /// <summary>Joins (the agent's first heartbeat included); the coordinator starts when asked.</summary>
    public static async Task<TestNode> JoinAsync(string id, ClusterOptions options, CapturedLogs logs,
        OwnershipLog? ownership = null, TimeSpan releaseDelay = default)
    {
        var node = new TestNode(id, options, logs, ownership, releaseDelay);
        try
        {
            await node.Agent.StartAsync(CancellationToken.None);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public TestNode StartCoordinator()
    {
        Coordinator = new Coordinator(Options, Agent, logger: _logs.CreateLogger(Id));
        Coordinator.Start();
        return this;
    }

    /// <summary>As a crash: coordinator and heartbeats stop, the session closes, the rows stay. The node counts as
    /// serving until its lease ends.</summary>
    public async Task KillAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _stop.CancelAsync();
        if (Coordinator is not null)
        {
            await Coordinator.DisposeAsync();
        }

        await Agent.DisposeAsync();
        _ownership?.Stopped(Id, Agent.LeaseExpiresAt);
        Task[] releases;
        lock (_releases)
        {
            releases = [.. _releases];
        }

        await Task.WhenAll(releases);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await Database.DisposeAsync();
        _stop.Dispose();
    }

    private void HandOff(ShardViewChange change)
    {
        lock (_releases)
        {
            _releases.RemoveAll(t => t.IsCompleted);
            _releases.AddRange(change.HandingOff.Select(ReleaseLaterAsync));
        }
    }

    private async Task ReleaseLaterAsync(ShardLease lease)
    {
        try
        {
            await Task.Delay(_releaseDelay, _stop.Token);
            await Agent.ReleaseAsync(lease.ShardId, lease.Epoch, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // the node was killed meanwhile
        }
    }
}
