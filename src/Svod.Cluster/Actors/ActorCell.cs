using System.Threading.Channels;

namespace Svod.Cluster.Actors;

/// <summary>
/// The runtime of one actor: its mailbox, the loop that feeds the mailbox to the current instance, supervision and
/// lifecycle. The loop is one async method per actor. While the mailbox is empty it is parked on the channel's
/// single-reader wait (no thread, no allocation per wake-up); a write schedules its continuation on the thread pool.
/// </summary>
internal sealed partial class ActorCell<TMessage> : IActorCell
{
    // Messages handled before the loop yields its pool thread, so a flooded actor cannot starve the others.
    private const int Throughput = 64;

    private const int Running = 0;
    private const int Passivating = 1;
    private const int Stopping = 2;

    private readonly Channel<Envelope> _mailbox;
    private readonly Func<Actor<TMessage>> _factory;
    private readonly ActorOptions _options;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _repliesLock = new();
    private HashSet<IPendingReply>? _replies;
    private bool _repliesClosed;
    private Actor<TMessage> _actor;
    private int _mode;

    public ActorCell(ActorSystem system, string name, Func<Actor<TMessage>> factory, ActorOptions options)
    {
        System = system;
        _factory = factory;
        _options = options;
        _mailbox = options.MailboxCapacity == 0
            ? Channel.CreateUnbounded<Envelope>(new UnboundedChannelOptions { SingleReader = true })
            : Channel.CreateBounded<Envelope>(new BoundedChannelOptions(options.MailboxCapacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        Ref = new ActorRef<TMessage>(this, name);
        _actor = NewInstance();
    }

    public ActorSystem System { get; }

    public ActorRef<TMessage> Ref { get; }

    public string Name => Ref.Name;

    public Task Completion => _completion.Task;

    private bool IsStopping => Volatile.Read(ref _mode) == Stopping;

    /// <summary>Starts the loop on the thread pool; the spawner's execution context does not flow into it.</summary>
    public void Start() =>
        ThreadPool.UnsafeQueueUserWorkItem(static cell => _ = cell.RunAsync(), this, preferLocal: false);

    public bool Tell(TMessage message)
    {
        if (_mailbox.Writer.TryWrite(new Envelope(message, null)))
        {
            return true;
        }

        System.AddDeadLetters(1);
        return false;
    }

    public ValueTask<bool> TellAsync(TMessage message, CancellationToken cancellationToken)
    {
        var envelope = new Envelope(message, null);
        return _mailbox.Writer.TryWrite(envelope)
            ? new ValueTask<bool>(true)
            : WaitForRoomAsync(envelope, cancellationToken);
    }

    public bool TellFromTimer(TMessage message, ActorTimer<TMessage> timer) =>
        _mailbox.Writer.TryWrite(new Envelope(message, timer));

    void IActorCell.Stop() => RequestStop(cancelCurrent: true);

    public void RequestStop(bool cancelCurrent)
    {
        Volatile.Write(ref _mode, Stopping);
        _mailbox.Writer.TryComplete();
        if (cancelCurrent)
        {
            Cancel();
        }
    }

    public void RequestPassivation()
    {
        Interlocked.CompareExchange(ref _mode, Passivating, Running);
        _mailbox.Writer.TryComplete();
    }

    /// <summary>False when the actor has stopped: the reply could never be set and the ask fails at once.</summary>
    public bool TrackReply(IPendingReply reply)
    {
        lock (_repliesLock)
        {
            if (_repliesClosed)
            {
                return false;
            }

            (_replies ??= []).Add(reply);
            return true;
        }
    }

    public void ForgetReply(IPendingReply reply)
    {
        lock (_repliesLock)
        {
            _replies?.Remove(reply);
        }
    }

    private async ValueTask<bool> WaitForRoomAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        var writer = _mailbox.Writer;
        while (await writer.WaitToWriteAsync(cancellationToken))
        {
            if (writer.TryWrite(envelope))
            {
                return true;
            }
        }

        System.AddDeadLetters(1);
        return false;
    }

    private async Task RunAsync()
    {
        try
        {
            if (await StartAsync())
            {
                await ProcessAsync();
            }
        }
        catch (Exception exception)
        {
            ActorLog.LoopFailed(System.Logger, Name, exception);
        }

        await FinishAsync();
    }

    private async Task ProcessAsync()
    {
        var reader = _mailbox.Reader;
        var handled = 0;
        while (true)
        {
            while (!IsStopping && reader.TryRead(out var envelope))
            {
                if (envelope.Timer is { } timer && !timer.Accept())
                {
                    continue;
                }

                try
                {
                    await _actor.InvokeReceiveAsync(envelope.Message, _cancellation.Token);
                }
                catch (Exception exception)
                {
                    await RecoverAsync(exception, envelope.Message);
                }

                if (++handled == Throughput)
                {
                    handled = 0;
                    await Task.Yield();
                }
            }

            // False once the mailbox is completed (stop or passivation) and empty.
            if (IsStopping || !await reader.WaitToReadAsync())
            {
                return;
            }
        }
    }

    private int DrainMailbox()
    {
        var left = 0;
        while (_mailbox.Reader.TryRead(out var envelope))
        {
            // Timer messages are not counted: their timers were cancelled with the instance.
            if (envelope.Timer is null)
            {
                left++;
            }
        }

        return left;
    }

    private void FailPendingReplies()
    {
        IPendingReply[] pending;
        lock (_repliesLock)
        {
            _repliesClosed = true;
            pending = _replies is null ? [] : [.. _replies];
            _replies = null;
        }

        foreach (var reply in pending)
        {
            reply.Fail(ActorStoppedException.NoReply(Name));
        }
    }

    private void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException exception)
        {
            ActorLog.CancellationCallbackFailed(System.Logger, Name, exception);
        }
    }

    /// <summary>A mailbox entry; <see cref="Timer"/> is set for timer messages, null for everything told.</summary>
    private readonly record struct Envelope(TMessage Message, ActorTimer<TMessage>? Timer);
}
