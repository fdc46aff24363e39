namespace Svod.Client;

/// <summary>Delays between reconnect attempts: exponential, capped, with jitter.</summary>
internal static class Backoff
{
    /// <summary>
    /// The delay before attempt <paramref name="attempt"/> (0 for the first): <paramref name="initial"/>·2ⁿ capped
    /// at <paramref name="max"/>, then a point in its upper half picked by <paramref name="random"/> ∈ [0, 1)
    /// ("equal jitter"), so that clients cut off together do not all come back at the same instant.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, double random)
    {
        var ceiling = initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(ceiling, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 * (1 + random));
    }
}
