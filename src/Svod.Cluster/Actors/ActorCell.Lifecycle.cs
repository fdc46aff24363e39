namespace Svod.Cluster.Actors;

/// <summary>Start, supervision (restart from a fresh instance) and stop of one actor; all on its loop.</summary>
internal sealed partial class ActorCell<TMessage>
{
    // Loop-only state: touched by the mailbox loop alone, one step at a time.
    private bool _started;
    private int _failures;
    private long _windowStart;

    private Actor<TMessage> NewInstance()
    {
        var actor = _factory() ?? throw new InvalidOperationException(
            $"The factory of actor '{Name}' returned null; it must build a new instance on every call.");
        actor.Attach(this);
        return actor;
    }

    private async ValueTask<bool> StartAsync()
    {
        try
        {
            await _actor.InvokePreStartAsync(_cancellation.Token);
            _started = true;
            return true;
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception exception)
        {
            ActorLog.StartFailed(System.Logger, _actor.DescribeForLog(), exception);
            return false;
        }
    }

    private async ValueTask RecoverAsync(Exception failure, TMessage message)
    {
        if (failure is OperationCanceledException && _cancellation.IsCancellationRequested)
        {
            return;
        }

        var failed = _actor;
        var description = failed.DescribeForLog();
        var messageType = message?.GetType().Name ?? "null";
        if (IsStopping)
        {
            ActorLog.FailedWhileStopping(System.Logger, description, messageType, failure);
            return;
        }

        if (!CountFailure())
        {
            ActorLog.GaveUp(System.Logger, description, messageType, _options.MaxRestarts, _options.RestartWindow,
                failure);
            RequestStop(cancelCurrent: false);
            return;
        }

        ActorLog.Restarting(System.Logger, description, messageType, _failures, _options.MaxRestarts,
            _options.RestartWindow, failure);
        failed.CancelTimers();
        try
        {
            await failed.InvokePreRestartAsync(failure, message);
        }
        catch (Exception exception)
        {
            ActorLog.PreRestartFailed(System.Logger, description, exception);
        }

        // From here the failed instance counts as stopped: PostStopAsync is not called on it again.
        _started = false;
        try
        {
            _actor = NewInstance();
            await _actor.InvokePostRestartAsync(failure, _cancellation.Token);
            _started = true;
        }
        catch (Exception exception)
        {
            if (!(exception is OperationCanceledException && _cancellation.IsCancellationRequested))
            {
                ActorLog.RestartFailed(System.Logger, description, exception);
            }

            RequestStop(cancelCurrent: false);
        }
    }

    /// <summary>Counts a failure in the restart window; false when it is one more than the window allows.</summary>
    private bool CountFailure()
    {
        var time = System.TimeProvider;
        var now = time.GetTimestamp();
        if (_failures == 0 || time.GetElapsedTime(_windowStart, now) > _options.RestartWindow)
        {
            _windowStart = now;
            _failures = 0;
        }

        return ++_failures <= _options.MaxRestarts;
    }

    private async Task FinishAsync()
    {
        RequestStop(cancelCurrent: false);
        _actor.CancelTimers();
        if (_started)
        {
            try
            {
                await _actor.InvokePostStopAsync();
            }
            catch (Exception exception)
            {
                ActorLog.PostStopFailed(System.Logger, _actor.DescribeForLog(), exception);
            }
        }

        Cancel();
        var left = DrainMailbox();
        if (left > 0)
        {
            System.AddDeadLetters(left);
            ActorLog.DeadLetters(System.Logger, Name, left);
        }

        FailPendingReplies();
        System.Unregister(this);
        _completion.TrySetResult();
    }
}
