namespace Svod.Cluster.Tests.Actors;

/// <summary>Awaits what a test expects, failing with what it waited for instead of hanging.</summary>
internal static class TestWait
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static async Task For(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Limit);
        }
        catch (TimeoutException exception) when (!task.IsCompleted)
        {
            throw new TimeoutException($"Gave up after {Limit.TotalSeconds} s waiting for {what}.", exception);
        }
    }

    public static async Task<T> For<T>(Task<T> task, string what)
    {
        await For((Task)task, what);
        return await task;
    }
}
