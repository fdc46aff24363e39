namespace Svod.Cluster.Tests.Actors;

/// <summary>Holds an actor inside one message until the test opens it; <see cref="Entered"/>: it got there.</summary>
internal sealed class Gate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Entered => _entered.Task;

    public void Open() => _opened.TrySetResult();

    public Task PassAsync()
    {
        _entered.TrySetResult();
        return _opened.Task;
    }
}
