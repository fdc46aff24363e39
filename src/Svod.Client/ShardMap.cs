using System.Text;

namespace Svod.Client;

/// <summary>
/// Which shard an utterance belongs to: FNV-1a (32 bits) over the UTF-8 bytes of its id, modulo the cluster's shard
/// count. Clients and nodes use this one function, so a client can route an utterance straight to its owner.
/// </summary>
public static class ShardMap
{
    /// <summary>The shard of <paramref name="utteranceId"/> among <paramref name="shardCount"/> shards.</summary>
    public static int ShardOf(string utteranceId, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(utteranceId);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        var hash = 2166136261u;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(utteranceId.Length) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetBytes(utteranceId, buffer)]
            : Encoding.UTF8.GetBytes(utteranceId);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)shardCount);
    }
}
