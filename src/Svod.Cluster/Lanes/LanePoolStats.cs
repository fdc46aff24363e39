namespace Svod.Cluster.Lanes;

/// <summary>Totals of a lane pool since it started; rates are derived by the reader from two samples.</summary>
public readonly record struct LanePoolStats(
    long Calls, long LanesUsed, long Frames, long Tokens, TimeSpan Busy, TimeSpan QueueDelay, int OpenChannels)
{
    /// <summary>Mean lanes per call.</summary>
    public double LanesPerCall => Calls == 0 ? 0 : (double)LanesUsed / Calls;

    /// <summary>Mean time from ready to the start of the call that took the work.</summary>
    public TimeSpan MeanQueueDelay => LanesUsed == 0 ? TimeSpan.Zero : QueueDelay / LanesUsed;
}
