namespace Svod.Cluster.Actors;

/// <summary>
/// The answer slot of one ask. The asked actor, or whoever it hands this to, calls <see cref="Set"/> or
/// <see cref="Fail"/> once; later calls, and calls after the ask timed out, return false and change nothing.
/// The reply is bound to the asked actor: if that actor stops while the reply is open, the ask fails with
/// <see cref="ActorStoppedException"/>.
/// </summary>
public sealed class Reply<TReply> : IPendingReply
{
    // Asynchronous continuations: the asker must never resume on the actor's thread, inside its message.
    private readonly TaskCompletionSource<TReply> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Reply()
    {
    }

    public bool IsCompleted => _completion.Task.IsCompleted;

    internal Task<TReply> Task => _completion.Task;

    public bool Set(TReply value) => _completion.TrySetResult(value);

    public bool Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return _completion.TrySetException(exception);
    }

    /// <summary>The ask ended (timeout, cancellation): later answers are refused instead of going unobserved.</summary>
    internal void Close() => _completion.TrySetCanceled();
}
