namespace Svod.Cluster.Tests.Cluster;

[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    /// <summary>The cluster tests run one at a time: their sub-second timings do not survive a crowded machine.
    /// </summary>
    public const string Name = "cluster";
}
