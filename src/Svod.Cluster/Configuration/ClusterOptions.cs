using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

/// <summary><c>svod.cluster</c>: membership, shards and leases in PostgreSQL (docs/cluster.md).</summary>
public sealed class ClusterOptions
{
    /// <summary>Npgsql connection string of the cluster's database; empty runs a single node that owns every shard and
    /// keeps snapshots in <c>svod.persistence.directory</c>.</summary>
    [ConfigurationKeyName("postgres")]
    public string Postgres { get; set; } = "";

    /// <summary>This node's name in the members table; empty: its advertised address (host:port).</summary>
    [ConfigurationKeyName("node-id")]
    public string NodeId { get; set; } = "";

    /// <summary>The stream URL clients reach this node at (ws://host:port/v1/stream); empty: from the first of
    /// <c>svod.node.urls</c>, which then must name a host, not 0.0.0.0.</summary>
    [ConfigurationKeyName("advertise")]
    public string Advertise { get; set; } = "";

    /// <summary>Shards of the cluster, fixed when the database is first used; every node must agree.</summary>
    [ConfigurationKeyName("shards")]
    public int Shards { get; set; } = 64;

    [ConfigurationKeyName("heartbeat-interval")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    [ConfigurationKeyName("lease-duration")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(3);

    [ConfigurationKeyName("failure-timeout")]
    public TimeSpan FailureTimeout { get; set; } = TimeSpan.FromSeconds(5);

    [ConfigurationKeyName("coordinator-interval")]
    public TimeSpan CoordinatorInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Most shards one rebalance round moves.</summary>
    [ConfigurationKeyName("rebalance-absolute-limit")]
    public int RebalanceAbsoluteLimit { get; set; } = 20;

    /// <summary>Most shards one rebalance round moves, as a fraction of all shards (the smaller limit wins).</summary>
    [ConfigurationKeyName("rebalance-relative-limit")]
    public double RebalanceRelativeLimit { get; set; } = 0.1;

    /// <summary>A hand-off the owner has not completed in this long is cancelled (the shard stays with its owner).
    /// </summary>
    [ConfigurationKeyName("handoff-timeout")]
    public TimeSpan HandoffTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary><c>svod.persistence</c>: channel snapshots and finals.</summary>
public sealed class PersistenceOptions
{
    /// <summary>How often dirty channels are written, in one batch per node.</summary>
    [ConfigurationKeyName("snapshot-interval")]
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a final is kept for a client whose node died before it got it; also how long a snapshot
    /// nobody writes is kept before it counts as abandoned.</summary>
    [ConfigurationKeyName("final-retention")]
    public TimeSpan FinalRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Where a single node without PostgreSQL keeps its snapshot log.</summary>
    [ConfigurationKeyName("directory")]
    public string Directory { get; set; } = "svod-data";
}
