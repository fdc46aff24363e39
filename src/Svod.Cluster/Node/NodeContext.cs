using Svod.Cluster.Actors;
using Svod.Cluster.Configuration;
using Svod.Cluster.Persistence;

namespace Svod.Cluster.Node;

/// <summary>What every session of a node shares: its actors, models, settings, shard ownership and snapshot writer.
/// </summary>
internal sealed record NodeContext(
    ActorSystem Actors, IReadOnlyDictionary<string, ServedModel> Models, NodeOptions Options, NodeCounters Counters,
    IShardOwnership Ownership, SnapshotWriter? Writer, TimeSpan FinalRetention);
