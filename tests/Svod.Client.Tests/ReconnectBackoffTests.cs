namespace Svod.Client.Tests;

/// <summary>Reconnect delays: exponential from the initial delay, capped, jittered within the upper half.</summary>
public sealed class ReconnectBackoffTests
{
    [Theory]
    [InlineData(0, 50, 100)]
    [InlineData(1, 100, 200)]
    [InlineData(3, 400, 800)]
    [InlineData(6, 2500, 5000)]
    [InlineData(1000, 2500, 5000)]
    public void Delays_double_up_to_the_cap_and_jitter_within_its_upper_half(int attempt, int lowMs, int highMs)
    {
        var initial = TimeSpan.FromMilliseconds(100);
        var max = TimeSpan.FromSeconds(5);
        Assert.Equal(lowMs, Backoff.Delay(attempt, initial, max, 0).TotalMilliseconds, 3);
        Assert.Equal(highMs, Backoff.Delay(attempt, initial, max, 1).TotalMilliseconds, 3);
        Assert.InRange(Backoff.Delay(attempt, initial, max, 0.5).TotalMilliseconds, lowMs, highMs);
    }
}
