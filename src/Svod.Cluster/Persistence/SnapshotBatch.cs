namespace Svod.Cluster.Persistence;

/// <summary>What both snapshot stores do to a batch before writing it.</summary>
internal static class SnapshotBatch
{
    /// <summary>
    /// The batch with one snapshot per utterance: the one with the most frames, the later one of equals (the order
    /// the writer collected them in). Order of first appearance is kept.
    /// </summary>
    public static IReadOnlyList<ChannelSnapshot> Newest(IReadOnlyList<ChannelSnapshot> batch)
    {
        var at = new Dictionary<string, int>(batch.Count, StringComparer.Ordinal);
        var kept = new List<ChannelSnapshot>(batch.Count);
        foreach (var snapshot in batch)
        {
            ArgumentNullException.ThrowIfNull(snapshot);
            if (at.TryAdd(snapshot.UtteranceId, kept.Count))
            {
                kept.Add(snapshot);
            }
            else if (kept[at[snapshot.UtteranceId]].Frames <= snapshot.Frames)
            {
                kept[at[snapshot.UtteranceId]] = snapshot;
            }
        }

        return kept;
    }
}
