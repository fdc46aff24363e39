namespace Svod.Cluster.Actors;

/// <summary>
/// The address of an actor: what others hold to send it messages. Thread-safe; fine to keep after it stops.
/// </summary>
public sealed class ActorRef<TMessage>
{
    private readonly ActorCell<TMessage> _cell;

    internal ActorRef(ActorCell<TMessage> cell, string name)
    {
        _cell = cell;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Finishes, never faults, once the actor has stopped: PostStopAsync ran, the mailbox drained.</summary>
    public Task Completion => _cell.Completion;

    /// <summary>
    /// Queues <paramref name="message"/> without waiting. False when the actor is stopping or stopped, or its
    /// bounded mailbox is full; the message is then a dead letter (<see cref="ActorSystem.DeadLetters"/>).
    /// </summary>
    public bool Tell(TMessage message) => _cell.Tell(message);

    /// <summary>
    /// Like <see cref="Tell"/> but waits for room in a full bounded mailbox; false only once stopped.
    /// </summary>
    public ValueTask<bool> TellAsync(TMessage message, CancellationToken cancellationToken = default) =>
        _cell.TellAsync(message, cancellationToken);

    /// <summary>
    /// Sends the message <paramref name="build"/> makes around a fresh <see cref="Reply{TReply}"/> and waits for the
    /// reply. <paramref name="timeout"/> runs on the system's <see cref="TimeProvider"/> and covers waiting for room
    /// in a bounded mailbox too.
    /// </summary>
    /// <exception cref="AskTimeoutException">No reply within <paramref name="timeout"/>.</exception>
    /// <exception cref="ActorStoppedException">The actor is stopped, or stopped before the reply was set.</exception>
    public async Task<TReply> AskAsync<TReply>(Func<Reply<TReply>, TMessage> build, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "An ask timeout must be positive.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var reply = new Reply<TReply>();
        if (!_cell.TrackReply(reply))
        {
            _cell.System.AddDeadLetters(1);
            throw ActorStoppedException.NotDelivered(Name);
        }

        using var deadline = new CancellationTokenSource(timeout, _cell.System.TimeProvider);
        using var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token)
            : null;
        var token = linked?.Token ?? deadline.Token;
        try
        {
            if (!await _cell.TellAsync(build(reply), token))
            {
                throw ActorStoppedException.NotDelivered(Name);
            }

            return await reply.Task.WaitAsync(token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested &&
            !cancellationToken.IsCancellationRequested)
        {
            throw new AskTimeoutException(Name, timeout);
        }
        finally
        {
            _cell.ForgetReply(reply);
            reply.Close();
        }
    }

    /// <summary>
    /// Stops the actor after its current message, whose cancellation token is cancelled; the remaining messages
    /// become dead letters. Await <see cref="Completion"/> for the end.
    /// </summary>
    public void Stop() => _cell.RequestStop(cancelCurrent: true);

    public Task StopAsync()
    {
        Stop();
        return Completion;
    }

    /// <summary>Refuses new messages, handles those already queued, then stops.</summary>
    public void Passivate() => _cell.RequestPassivation();

    public override string ToString() => Name;
}
