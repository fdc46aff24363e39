using Svod.Cluster.Persistence;

namespace Svod.Cluster.Tests.Persistence;

/// <summary>Snapshots with reproducible random state, and comparing them (a record compares its byte[] by
/// reference).</summary>
internal static class Snapshots
{
    public static ChannelSnapshot Create(string id, int shard, long epoch, long frames, int size = 64, int seed = 0)
    {
        var state = new byte[size];
        new Random(HashCode.Combine(id, frames, seed)).NextBytes(state);
        return new ChannelSnapshot(id, shard, epoch, frames, state);
    }

    /// <summary>A batch of <paramref name="count"/> utterances <c>u0000</c>... over <paramref name="shards"/> shards,
    /// states of 0 to <paramref name="maxSize"/> bytes.</summary>
    public static ChannelSnapshot[] Batch(int count, int shards, long epoch, int maxSize, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i =>
            Create($"u{i:D4}", i % shards, epoch, frames: random.Next(1, 10_000), random.Next(0, maxSize + 1), seed))];
    }

    public static void AssertEqual(ChannelSnapshot expected, ChannelSnapshot? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.UtteranceId, expected.Shard, expected.Epoch, expected.Frames),
            (actual.UtteranceId, actual.Shard, actual.Epoch, actual.Frames));
        Assert.Equal(expected.State, actual.State);
    }
}
