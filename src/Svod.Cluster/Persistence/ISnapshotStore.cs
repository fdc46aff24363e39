namespace Svod.Cluster.Persistence;

/// <summary>
/// Where channel snapshots and retained finals live: PostgreSQL in a cluster, a local log on a single node
/// (docs/cluster.md, "Persistence"). Writes are fenced: a snapshot is written only while its shard is owned by this
/// node at the snapshot's epoch, so a node that lost a shard can never overwrite its new owner's state.
/// </summary>
public interface ISnapshotStore : IAsyncDisposable
{
    /// <summary>
    /// True when every node a client may move an utterance to reads this store (PostgreSQL): only then are written
    /// frames acknowledged to clients as durable, letting them drop those frames. A node's local log resumes its own
    /// utterances after a restart, but a client that moves to another node still needs every frame.
    /// </summary>
    bool IsShared { get; }

    /// <summary>
    /// Writes a batch in one round trip. A snapshot is skipped when its shard is not this node's at its epoch, or when
    /// the stored one already holds more frames. Returns the utterance ids skipped (the caller stops serving their
    /// shards: it has been fenced).
    /// </summary>
    Task<IReadOnlySet<string>> WriteAsync(IReadOnlyList<ChannelSnapshot> batch, CancellationToken cancellationToken);

    /// <summary>The utterance's latest snapshot, or null.</summary>
    Task<ChannelSnapshot?> ReadAsync(string utteranceId, CancellationToken cancellationToken);

    /// <summary>
    /// The utterance has finished: its final (protobuf <c>Result</c> bytes) is kept for <paramref name="retention"/>
    /// and its snapshot deleted, in one transaction, fenced like a write. False when fenced.
    /// </summary>
    Task<bool> CompleteAsync(string utteranceId, int shard, long epoch, byte[] final, TimeSpan retention,
        CancellationToken cancellationToken);

    /// <summary>A retained, unexpired final, or null.</summary>
    Task<byte[]?> ReadFinalAsync(string utteranceId, CancellationToken cancellationToken);

    /// <summary>Forgets the utterance: its snapshot and its retained final are deleted (fenced like a write). For an
    /// utterance cancelled or abandoned, and before a new utterance that reuses an id.</summary>
    Task DeleteAsync(string utteranceId, int shard, long epoch, CancellationToken cancellationToken);

    /// <summary>Removes finals past their retention; returns how many.</summary>
    Task<int> ExpireAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A channel's durable state: <paramref name="Frames"/> frames of the utterance are decoded into
/// <paramref name="State"/> (the channel's saved bytes and the channel actor's own state), owned at
/// <paramref name="Epoch"/> of <paramref name="Shard"/>.
/// </summary>
public sealed record ChannelSnapshot(string UtteranceId, int Shard, long Epoch, long Frames, byte[] State);
