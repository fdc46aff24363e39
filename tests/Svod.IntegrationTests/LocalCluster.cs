using System.Text.Json;

namespace Svod.IntegrationTests;

/// <summary>
/// A cluster on loopback: a private PostgreSQL and <c>svod node</c> processes joined to it, with timings shortened so
/// that failure detection takes about a second (heartbeat 200 ms, lease 600 ms, failure timeout 1 s).
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    public static readonly string[] FastTimings =
    [
        "-D", "svod.cluster.heartbeat-interval=200ms", "-D", "svod.cluster.lease-duration=600ms",
        "-D", "svod.cluster.failure-timeout=1s", "-D", "svod.cluster.coordinator-interval=100ms",
        "-D", "svod.cluster.handoff-timeout=5s", "-D", "svod.persistence.snapshot-interval=100ms",
        "-D", "svod.cluster.shards=32",
    ];

    private readonly List<NodeProcess> _nodes = [];
    private readonly string[] _extra;

    private LocalCluster(PostgresServer postgres, string[] extra)
    {
        Postgres = postgres;
        Tables = new ClusterTables(postgres);
        _extra = extra;
    }

    public PostgresServer Postgres { get; }

    /// <summary>The svod tables, read directly.</summary>
    public ClusterTables Tables { get; }

    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    /// <summary>Null when PostgreSQL is not installed (the test then skips; on CI it fails).</summary>
    public static async Task<LocalCluster?> StartAsync(int nodes, params string[] extra)
    {
        var postgres = await PostgresServer.StartAsync();
        if (postgres is null)
        {
            return null;
        }

        var cluster = new LocalCluster(postgres, extra);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, nodes).Select(_ => cluster.AddNodeAsync()));
            await cluster.WaitBalancedAsync(nodes);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string[] NodeArguments =>
        ["-D", $"svod.cluster.postgres=\"{Postgres.ConnectionString()}\"", .. FastTimings, .. _extra];

    /// <summary>Starts one more node (it joins the cluster).</summary>
    public async Task<NodeProcess> AddNodeAsync(int? port = null)
    {
        var node = await NodeProcess.StartOnAsync(port ?? NodeProcess.FreePort(), NodeArguments);
        lock (_nodes)
        {
            _nodes.Add(node);
        }

        return node;
    }

    /// <summary>The members table as a node serves it.</summary>
    public async Task<JsonElement[]> MembersAsync(NodeProcess via) =>
        [.. (await AdminAsync(via, "members")).EnumerateArray()];

    public async Task<JsonElement[]> ShardsAsync(NodeProcess via) =>
        [.. (await AdminAsync(via, "shards")).EnumerateArray()];

    /// <summary>A node that answers: running and not paused.</summary>
    public NodeProcess Any()
    {
        lock (_nodes)
        {
            return _nodes.First(n => !n.HasExited && !n.IsPaused);
        }
    }

    /// <summary>The node whose session holds the coordinator lock now.</summary>
    public async Task<NodeProcess> CoordinatorAsync()
    {
        var coordinator = (await MembersAsync(Any())).Single(m => m.GetProperty("coordinator").GetBoolean())
            .GetProperty("node").GetString();
        lock (_nodes)
        {
            return _nodes.Single(n => !n.HasExited && n.NodeId == coordinator);
        }
    }

    /// <summary>Waits until <paramref name="members"/> members are up and hold the shards evenly (±1).</summary>
    public async Task WaitBalancedAsync(int members)
    {
        var last = "";
        try
        {
            await StreamingHarness.WaitUntilAsync(async () =>
            {
                var all = await MembersAsync(Any());
                last = string.Join("; ", all.Select(m => m.ToString()));
                var up = all.Where(m => m.GetProperty("state").GetString() == "up").ToArray();
                if (up.Length != members)
                {
                    return false;
                }

                var counts = up.Select(m => m.GetProperty("shards").GetInt32()).ToArray();
                return counts.Sum() == 32 && counts.Max() - counts.Min() <= 1;
            }, $"{members} members up and balanced");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}; the members last: {last}{ExitedNodes()}");
        }
    }

    /// <summary>For failure messages: the end of what each node that exited wrote.</summary>
    public string ExitedNodes()
    {
        lock (_nodes)
        {
            return string.Concat(_nodes.Where(n => n.HasExited).Select(n =>
                $"\n{n.NodeId} exited:\n{string.Join('\n', n.Output.Split('\n').TakeLast(20))}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await Tables.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    private static async Task<JsonElement> AdminAsync(NodeProcess via, string what)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(via.BaseUri, $"/v1/admin/{what}"));
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
