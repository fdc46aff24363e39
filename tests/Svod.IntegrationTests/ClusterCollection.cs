namespace Svod.IntegrationTests;

/// <summary>
/// The tests that run clusters of real nodes: one at a time, and not beside the other test classes. Their timings
/// (heartbeat 200 ms, lease 600 ms, failure timeout 1 s) assume the machine is not crowded by a dozen other node
/// processes; a node starved of CPU for a lease would lose it, and a test would see a failover it did not cause.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
