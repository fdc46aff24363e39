namespace Svod.Cluster.Actors;

/// <summary>
/// Keyed timers of one actor instance, on the system's <see cref="TimeProvider"/>. A timer's message goes through
/// the mailbox like any other. Starting a key that runs replaces that timer; once a key is cancelled or replaced its
/// message is not received, even one already waiting in the mailbox. The timers die with the instance (stop or
/// restart). Not thread-safe: use them only from the actor's own hooks and messages.
/// </summary>
public sealed class ActorTimers<TMessage>
{
    private readonly ActorCell<TMessage> _cell;
    private readonly Dictionary<object, ActorTimer<TMessage>> _timers = [];
    private bool _closed;

    internal ActorTimers(ActorCell<TMessage> cell, bool closed)
    {
        _cell = cell;
        _closed = closed;
    }

    /// <summary>Timers that run: periodic ones until cancelled, single ones until their message is received.</summary>
    public int Count => _timers.Count;

    public bool IsActive(object key) => _timers.ContainsKey(key);

    /// <summary>Sends <paramref name="message"/> once after <paramref name="delay"/>.</summary>
    public void StartSingle(object key, TMessage message, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        Start(key, message, delay, periodic: false);
    }

    /// <summary>
    /// Sends <paramref name="message"/> every <paramref name="interval"/>, the first after one interval. At most one
    /// of its messages waits in the mailbox: ticks that fall due while one waits are skipped, not queued up.
    /// </summary>
    public void StartPeriodic(object key, TMessage message, TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        Start(key, message, interval, periodic: true);
    }

    public bool Cancel(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_timers.Remove(key, out var timer))
        {
            return false;
        }

        timer.Cancel();
        return true;
    }

    /// <summary>Cancels every timer for good: a stopped or replaced instance starts no new one.</summary>
    internal void CancelAll()
    {
        _closed = true;
        foreach (var timer in _timers.Values)
        {
            timer.Cancel();
        }

        _timers.Clear();
    }

    /// <summary>A single timer's message was received: the key is free again.</summary>
    internal void Delivered(ActorTimer<TMessage> timer)
    {
        if (_timers.TryGetValue(timer.Key, out var current) && ReferenceEquals(current, timer))
        {
            _timers.Remove(timer.Key);
        }
    }

    private void Start(object key, TMessage message, TimeSpan due, bool periodic)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_closed)
        {
            return;
        }

        Cancel(key);
        var timer = new ActorTimer<TMessage>(this, _cell, key, message, periodic);
        _timers[key] = timer;
        timer.Schedule(_cell.System.TimeProvider, due);
    }
}
