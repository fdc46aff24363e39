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

    /// <summary>
    /// Many utterances finished, written at once (one round trip, one flush to disk): each entry is
    /// <see cref="CompleteAsync"/> when it carries a final and <see cref="DeleteAsync"/> when it does not, fenced the
    /// same way. Of several entries for one utterance the last counts, as if they ran in order. Returns the utterance
    /// ids fenced (their shard is not this node's at their epoch).
    /// </summary>
    Task<IReadOnlySet<string>> FinishAsync(IReadOnlyList<FinishedUtterance> batch, CancellationToken cancellationToken);

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

/// <summary>
/// An utterance that ended, for <see cref="ISnapshotStore.FinishAsync"/>: with <paramref name="Final"/> (protobuf
/// <c>Result</c> bytes) it completed and its final is kept for <paramref name="Retention"/>; without, it is forgotten
/// (cancelled, abandoned, failed). Either way its snapshot goes.
/// </summary>
public sealed record FinishedUtterance(string UtteranceId, int Shard, long Epoch, byte[]? Final, TimeSpan Retention)
{
    /// <summary>The last entry of each utterance, in the order those last entries came.</summary>
    internal static IReadOnlyList<FinishedUtterance> LastOfEach(IReadOnlyList<FinishedUtterance> batch)
    {
        var last = new Dictionary<string, int>(batch.Count, StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(batch[i]);
            last[batch[i].UtteranceId] = i;
        }

        return last.Count == batch.Count ? batch : [.. batch.Where((f, i) => last[f.UtteranceId] == i)];
    }
}
