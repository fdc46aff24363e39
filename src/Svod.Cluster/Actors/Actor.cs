namespace Svod.Cluster.Actors;

/// <summary>
/// The behaviour of one actor: it handles the messages of its mailbox one at a time, in arrival order, never two at
/// once, on thread-pool threads (no thread of its own). Its fields need no locks as long as only its own hooks and
/// <see cref="ReceiveAsync"/> touch them.
/// </summary>
/// <remarks>
/// <para>Lifecycle: the factory given to <see cref="ActorSystem.Spawn{TMessage}"/> builds an instance;
/// <see cref="PreStartAsync"/> runs before its first message (messages told meanwhile wait in the mailbox); the
/// actor runs until <see cref="Stop"/>, <see cref="Passivate"/>, <see cref="ActorRef{TMessage}.Stop"/> or system
/// shutdown; then <see cref="PostStopAsync"/> runs once, timers are cancelled, the mailbox's remaining messages
/// become dead letters, open replies fail and <see cref="ActorRef{TMessage}.Completion"/> finishes.</para>
/// <para>Supervision: when <see cref="ReceiveAsync"/> throws, the failure is logged with <see cref="Describe"/>,
/// the failing message is dropped, <see cref="PreRestartAsync"/> runs on the failed instance (its timers already
/// cancelled), the factory builds a fresh instance and <see cref="PostRestartAsync"/> runs on it before the next
/// message. The failed instance's fields are discarded — they may be half-updated. "Restarted from its last good
/// state" means: the fresh instance restores what it persisted when it was last consistent (a channel actor reloads
/// its channel snapshot); anything not persisted starts over. A failure in <see cref="PreStartAsync"/>, in the
/// factory or in <see cref="PostRestartAsync"/>, or more than <see cref="ActorOptions.MaxRestarts"/> failures within
/// <see cref="ActorOptions.RestartWindow"/>, stops the actor instead. An ask whose message failed is not answered by
/// the kernel: <see cref="PreRestartAsync"/> gets the message and may fail its reply.</para>
/// </remarks>
public abstract class Actor<TMessage>
{
    private ActorCell<TMessage>? _cell;
    private ActorTimers<TMessage>? _timers;
    private bool _retired;

    /// <summary>This actor's reference, to hand to others. Available from <see cref="PreStartAsync"/> on.</summary>
    protected ActorRef<TMessage> Self => Cell.Ref;

    protected ActorSystem ActorSystem => Cell.System;

    protected string Name => Cell.Ref.Name;

    /// <summary>This instance's timers; call them only from this actor's own hooks and messages.</summary>
    protected ActorTimers<TMessage> Timers => _timers ??= new ActorTimers<TMessage>(Cell, closed: _retired);

    private ActorCell<TMessage> Cell =>
        _cell ?? throw new InvalidOperationException(
            "An actor's Self, Name, ActorSystem and Timers are available from PreStartAsync on, " +
            "not in its constructor.");

    /// <summary>
    /// Handles one message. <paramref name="cancellationToken"/> is cancelled when the actor is stopped from outside
    /// (<see cref="ActorRef{TMessage}.Stop"/>, system shutdown) or has stopped; an
    /// <see cref="OperationCanceledException"/> thrown then is not a failure.
    /// </summary>
    protected abstract ValueTask ReceiveAsync(TMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Runs before the first message; throwing stops the actor and <see cref="PostStopAsync"/> does not run.
    /// </summary>
    protected virtual ValueTask PreStartAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Runs once when an actor that started stops, after its last message.</summary>
    protected virtual ValueTask PostStopAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// Runs on the failed instance before it is replaced. The default calls <see cref="PostStopAsync"/>, so an actor
    /// that acquires in <see cref="PreStartAsync"/> and releases in <see cref="PostStopAsync"/> stays balanced.
    /// Exceptions are logged and the restart goes on.
    /// </summary>
    protected virtual ValueTask PreRestartAsync(Exception reason, TMessage failedMessage) => PostStopAsync();

    /// <summary>
    /// Runs on the fresh instance before its first message: the place to reload the last good state. The default
    /// calls <see cref="PreStartAsync"/>. Throwing stops the actor.
    /// </summary>
    protected virtual ValueTask PostRestartAsync(Exception reason, CancellationToken cancellationToken) =>
        PreStartAsync(cancellationToken);

    /// <summary>How failure logs name this actor; a channel actor adds its utterance id.</summary>
    protected virtual string Describe() => Name;

    /// <summary>Stops after the current message; the mailbox's remaining messages become dead letters.</summary>
    protected void Stop() => Cell.RequestStop(cancelCurrent: false);

    /// <summary>
    /// Stops once the messages already in the mailbox are handled; from now on the mailbox refuses new ones
    /// (<see cref="ActorRef{TMessage}.Tell"/> returns false). Whoever spawns the next incarnation under the same
    /// name awaits <see cref="ActorRef{TMessage}.Completion"/> first, so two never run at once.
    /// </summary>
    protected void Passivate() => Cell.RequestPassivation();

    internal void Attach(ActorCell<TMessage> cell)
    {
        if (_cell is not null)
        {
            throw new InvalidOperationException(
                $"This {GetType().Name} instance already belongs to actor '{_cell.Ref.Name}'; " +
                "an actor factory must build a new instance on every call.");
        }

        _cell = cell;
    }

    internal ValueTask InvokeReceiveAsync(TMessage message, CancellationToken cancellationToken) =>
        ReceiveAsync(message, cancellationToken);

    internal ValueTask InvokePreStartAsync(CancellationToken cancellationToken) => PreStartAsync(cancellationToken);

    internal ValueTask InvokePostStopAsync() => PostStopAsync();

    internal ValueTask InvokePreRestartAsync(Exception reason, TMessage failedMessage) =>
        PreRestartAsync(reason, failedMessage);

    internal ValueTask InvokePostRestartAsync(Exception reason, CancellationToken cancellationToken) =>
        PostRestartAsync(reason, cancellationToken);

    /// <summary>For good: a stopped or replaced instance that reaches for its timers later gets closed ones.</summary>
    internal void CancelTimers()
    {
        _retired = true;
        _timers?.CancelAll();
    }

    internal string DescribeForLog()
    {
        try
        {
            return Describe();
        }
        catch (Exception)
        {
            return _cell?.Ref.Name ?? GetType().Name;
        }
    }
}
