using Npgsql;
using Svod.Cluster.Configuration;
using Svod.Cluster.Tests.Actors;
using Xunit.Abstractions;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>
/// What the database-backed cluster tests share: a fresh migrated database per test, the nodes a test starts (agents
/// and coordinators in this process), their logs (written to the test output at the end) and the ownership log that
/// checks no shard is ever served twice.
/// </summary>
public abstract class ClusterTestBase(ClusterDatabase postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private protected CapturedLogs Logs { get; } = new();

    private protected OwnershipLog Ownership { get; } = new();

    private protected List<TestNode> Nodes { get; } = [];

    private protected NpgsqlDataSource? Database { get; private set; }

    private protected ClusterOptions Options { get; private set; } = new();

    private protected ITestOutputHelper Output => output;

    private bool Skipped => postgres.Server is null;

    public async Task InitializeAsync()
    {
        if (Skipped)
        {
            return;
        }

        Options = ClusterDatabase.Options(await postgres.CreateAsync());
        Database = NpgsqlDataSource.Create(Options.Postgres);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        foreach (var entry in Logs.Entries)
        {
            output.WriteLine($"{entry.Level} {entry.EventId.Id} {entry.Message}");
        }
    }

    private protected bool Skip() =>
        RequiredTool.Skip(Skipped ? "PostgreSQL is not installed (apt-get install postgresql)" : null, output);

    /// <summary>Joins every node first, then starts their coordinators: the first tick sees them all. Returns the last.
    /// </summary>
    private protected async Task<TestNode> StartAsync(TimeSpan releaseDelay, params string[] ids)
    {
        var nodes = new List<TestNode>();
        foreach (var id in ids)
        {
            var node = await TestNode.JoinAsync(id, Options, Logs, Ownership, releaseDelay);
            Nodes.Add(node);
            nodes.Add(node);
        }

        nodes.ForEach(n => n.StartCoordinator());
        return nodes[^1];
    }

    private protected Task<TestNode> StartAsync(params string[] ids) => StartAsync(TimeSpan.Zero, ids);
}
