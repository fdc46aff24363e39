namespace Svod.Cluster.Actors;

/// <summary>
/// One running timer of <see cref="ActorTimers{TMessage}"/>. Its messages carry it in their envelope so the mailbox
/// loop can drop those of a timer cancelled or replaced after they were queued.
/// </summary>
internal sealed class ActorTimer<TMessage>
{
    private readonly ActorTimers<TMessage> _owner;
    private readonly ActorCell<TMessage> _cell;
    private readonly TMessage _message;
    private readonly bool _periodic;
    private ITimer? _timer;
    private volatile bool _cancelled;

    // Periodic only: 1 while a tick waits in the mailbox, so a busy actor finds one tick, not a backlog.
    private int _queued;

    public ActorTimer(ActorTimers<TMessage> owner, ActorCell<TMessage> cell, object key, TMessage message,
        bool periodic)
    {
        _owner = owner;
        _cell = cell;
        Key = key;
        _message = message;
        _periodic = periodic;
    }

    public object Key { get; }

    public void Schedule(TimeProvider time, TimeSpan due) =>
        _timer = time.CreateTimer(static state => ((ActorTimer<TMessage>)state!).Fire(), this, due,
            _periodic ? due : Timeout.InfiniteTimeSpan);

    public void Cancel()
    {
        _cancelled = true;
        _timer?.Dispose();
    }

    /// <summary>On the mailbox loop, when this timer's message is next: false drops it.</summary>
    public bool Accept()
    {
        if (_cancelled)
        {
            return false;
        }

        if (_periodic)
        {
            Volatile.Write(ref _queued, 0);
        }
        else
        {
            _owner.Delivered(this);
            _timer?.Dispose();
        }

        return true;
    }

    private void Fire()
    {
        if (_cancelled || (_periodic && Interlocked.Exchange(ref _queued, 1) == 1))
        {
            return;
        }

        if (!_cell.TellFromTimer(_message, this) && _periodic)
        {
            Volatile.Write(ref _queued, 0);
        }
    }
}
