namespace Svod.Cluster.Persistence;

public sealed partial class FileSnapshotStore
{
    private int ForgetExpiredFinals()
    {
        var now = NowMilliseconds();
        var expired = _finals.Where(f => f.Value.Value <= now).Select(f => f.Key).ToList();
        foreach (var id in expired)
        {
            Remove(_finals, id);
        }

        return expired.Count;
    }

    private void Put(Dictionary<string, Entry> index, string id, Entry entry)
    {
        Remove(index, id);
        index.Add(id, entry);
        _liveBytes += entry.Size;
    }

    private void Remove(Dictionary<string, Entry> index, string id)
    {
        if (index.Remove(id, out var old))
        {
            _liveBytes -= old.Size;
        }
    }

    private long NowMilliseconds() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private long ExpiryOf(TimeSpan retention)
    {
        var now = NowMilliseconds();
        var ms = (long)Math.Ceiling(retention.TotalMilliseconds);
        return ms > 0 && now > long.MaxValue - ms ? long.MaxValue : now + ms;
    }

    /// <summary>
    /// Where a live record lies in the log and what the index needs without reading it. <paramref name="Value"/>:
    /// a snapshot's frames, or a final's expiry in Unix milliseconds.
    /// </summary>
    private readonly record struct Entry(int Shard, long Epoch, long Value, long Offset, int Size);
}
