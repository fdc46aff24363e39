namespace Svod.Cluster.Node;

/// <summary>Node-wide counters the sessions update and <c>/v1/stats</c> shows.</summary>
internal sealed class NodeCounters
{
    private long _readPauses;
    private long _pendingPeak;

    /// <summary>Times a connection's reading was paused because it had too many undecoded frames.</summary>
    public long ReadPauses => Interlocked.Read(ref _readPauses);

    /// <summary>The most undecoded frames any one connection has held.</summary>
    public long PendingPeak => Interlocked.Read(ref _pendingPeak);

    public void Paused() => Interlocked.Increment(ref _readPauses);

    public void Pending(long frames)
    {
        var peak = Interlocked.Read(ref _pendingPeak);
        while (frames > peak)
        {
            var seen = Interlocked.CompareExchange(ref _pendingPeak, frames, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }
}
