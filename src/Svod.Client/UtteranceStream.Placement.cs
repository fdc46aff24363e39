using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Svod.Client.Protocol;

namespace Svod.Client;

public sealed partial class UtteranceStream
{
    // The node the utterance is on or being placed on; null while it waits for one. Messages from any other
    // connection concern an earlier placement and are ignored.
    private Placement? _placement;
    // A placement loop runs (from StartAsync, or since the utterance lost its node).
    private bool _placing;
    // When the utterance lost its node (or StartAsync began): ReconnectTimeout counts from here.
    private long _cutOffAt;
    // Why the utterance last lost its node, for the error if no node takes it back.
    private string? _lostBecause;

    private NodeConnection? LiveConnection => _placement is { Live: true } p ? p.Connection : null;

    /// <summary>Places the utterance for the first time (<see cref="SvodClient.StartAsync"/>).</summary>
    internal void Place()
    {
        lock (_gate)
        {
            _placing = true;
            _cutOffAt = Stopwatch.GetTimestamp();
        }

        _ = Task.Run(PlaceAsync, CancellationToken.None);
    }

    internal void OnStarted(NodeConnection connection, Started started)
    {
        Placement? placement;
        lock (_gate)
        {
            placement = _placement;
        }

        if (placement?.Connection == connection)
        {
            placement.Started.TrySetResult(started);
        }
    }

    internal void OnResult(NodeConnection connection, Result result)
    {
        lock (_gate)
        {
            if (_done || _placement?.Connection != connection)
            {
                return;
            }

            // A replayed utterance's node sends everything again from the beginning: only news goes through.
            if (_filter.Admit(result))
            {
                _results.Writer.TryWrite(result);
            }

            if (!result.EndOfUtterance)
            {
                return;
            }

            // A resumed utterance whose final was kept ends before it went live: it started, and is done.
            if (_first is null && _placement?.Started.Task is { IsCompletedSuccessfully: true } started)
            {
                _first = started.Result;
                _started.TrySetResult(started.Result);
            }
        }

        End(null);
    }

    internal void OnAck(NodeConnection connection, Ack ack)
    {
        lock (_gate)
        {
            if (_placement?.Connection == connection)
            {
                _buffer.DropBelow((long)ack.DurableOffset);
            }
        }
    }

    /// <summary>UNAVAILABLE moves the utterance (its node is shutting down); any other error ends it.</summary>
    internal void OnError(NodeConnection connection, Error error)
    {
        if (error.Code == ErrorCode.Unavailable)
        {
            if (error.NodeDraining)
            {
                connection.MarkDraining();
            }

            Interrupt(connection, $"{connection.Endpoint.Uri} answered UNAVAILABLE: {error.Message}");
            return;
        }

        End(new SvodException(error.Code, error.Message, UtteranceId), connection);
    }

    internal void OnConnectionLost(NodeConnection connection, string reason)
    {
        lock (_gate)
        {
            if (_placement?.Connection == connection)
            {
                _preferred = -1; // its owner is gone: whoever takes the shard will be found by asking around
            }
        }

        Interrupt(connection, reason);
    }

    /// <summary>The node does not own the utterance's shard: move it to <paramref name="owner"/>.</summary>
    internal void OnRedirect(NodeConnection connection, int owner, string address)
    {
        lock (_gate)
        {
            if (_placement?.Connection != connection)
            {
                return;
            }

            _preferred = owner;
        }

        Interrupt(connection, $"{connection.Endpoint.Uri} redirected it to {address}");
    }

    /// <summary>Ends the utterance: <see cref="Results"/> completes, with <paramref name="error"/> if given. With
    /// <paramref name="placedOn"/>, only if the utterance is still placed there. False if it did not end it.</summary>
    internal bool End(SvodException? error, NodeConnection? placedOn = null)
    {
        lock (_gate)
        {
            if (_done || (placedOn is not null && _placement?.Connection != placedOn))
            {
                return false;
            }

            _done = true;
            _placement = null;
        }

        _ended.Cancel();
        if (_sending.Wait(0))
        {
            ReleaseSending(); // nothing is being sent: the replay buffer goes back to the pool now
        }

        if (error is null)
        {
            _started.TrySetCanceled();
            _results.Writer.TryComplete();
        }
        else
        {
            _started.TrySetException(error);
            _results.Writer.TryComplete(error);
        }

        _client.Forget(this);
        return true;
    }

    /// <summary>
    /// Gives up the send order. Once the utterance has ended, whoever holds the order last returns the replay buffer
    /// to the pool: <see cref="End"/> if no send runs, else the send that finishes after it (which retries the order
    /// after releasing it, so that an End that found the order taken is never missed).
    /// </summary>
    private void ReleaseSending()
    {
        ReturnBufferIfDone();
        _sending.Release();
        if (Volatile.Read(ref _done) && _sending.Wait(0))
        {
            ReturnBufferIfDone();
            _sending.Release();
        }
    }

    private void ReturnBufferIfDone()
    {
        lock (_gate)
        {
            if (_done)
            {
                _buffer.Release();
            }
        }
    }

    /// <summary>The utterance's node is lost to it: it waits for another (or the same one, reconnected).</summary>
    private void Interrupt(NodeConnection connection, string reason)
    {
        Placement? lost;
        var start = false;
        lock (_gate)
        {
            lost = _placement;
            if (_done || lost?.Connection != connection)
            {
                return;
            }

            _placement = null;
            _lostBecause = reason;
            if (!_placing)
            {
                _placing = true;
                _cutOffAt = Stopwatch.GetTimestamp();
                start = true;
            }
        }

        // A placement loop waiting for this node's Started moves on.
        lost.Started.TrySetCanceled();
        if (start)
        {
            _ = Task.Run(PlaceAsync, CancellationToken.None);
        }
    }

    /// <summary>
    /// Runs while the utterance has no node: takes the first connected node in its order, sends Start, waits for
    /// Started, resends the replay buffer (and Finalize if it was asked for) and goes live. A loss on the way starts
    /// over, until <see cref="SvodClientOptions.ReconnectTimeout"/> has passed since the utterance lost its node.
    /// </summary>
    private async Task PlaceAsync()
    {
        var options = _client.Options;
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                // A node that answered UNAVAILABLE for this utterance alone (its shard has no owner yet, or moved)
                // is asked again, not hammered.
                try
                {
                    // At most a second apart: a shard's new owner is usually named within a few seconds.
                    var most = options.MaxReconnectDelay < TimeSpan.FromSeconds(1) ? options.MaxReconnectDelay : TimeSpan.FromSeconds(1);
                    await Task.Delay(Backoff.Delay(attempt - 1, options.ReconnectDelay, most, Random.Shared.NextDouble()),
                        _ended.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            long since;
            string? lostBecause;
            int preferred;
            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                since = _cutOffAt;
                lostBecause = _lostBecause;
                preferred = _preferred;
            }

            NodeConnection? connection;
            try
            {
                connection = await _client.WaitForConnectionAsync(_nodeOrder, preferred,
                    options.ReconnectTimeout - Stopwatch.GetElapsedTime(since), _ended.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // ended meanwhile
            }
            catch (SvodException e)
            {
                End(new SvodException(e.Code, e.Message, UtteranceId));
                return;
            }

            if (connection is null)
            {
                var lost = lostBecause is null ? "" : $" after it lost its node ({lostBecause})";
                End(new SvodException(ErrorCode.Unavailable, string.Create(CultureInfo.InvariantCulture,
                    $"no node took the utterance within {options.ReconnectTimeout.TotalSeconds:0.###} s{lost}; ") +
                    $"nodes tried: {_client.DescribeNodes(_nodeOrder)}", UtteranceId));
                return;
            }

            var placement = new Placement(connection);
            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                _placement = placement;
            }

            try
            {
                bool resume;
                lock (_gate)
                {
                    resume = _first is not null;
                }

                await connection.SendAsync(resume ? _resume : _start, _ended.Token).ConfigureAwait(false);
                var started = await placement.Started.Task.WaitAsync(options.StartTimeout, _ended.Token)
                    .ConfigureAwait(false);
                if (await GoLiveAsync(placement, started).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (SvodException e) when (e.Code == ErrorCode.Unavailable)
            {
                Interrupt(connection, e.Message); // a send failed before the reader saw the connection go
            }
            catch (TimeoutException)
            {
                var error = new SvodException(ErrorCode.DeadlineExceeded, string.Create(CultureInfo.InvariantCulture,
                    $"{connection.Endpoint.Uri} sent no Started within {options.StartTimeout.TotalSeconds:0.###} s"),
                    UtteranceId);
                if (End(error, connection))
                {
                    return;
                }

                // Lost that node just as the wait ran out: place again.
            }
            catch (OperationCanceledException) when (!_ended.IsCancellationRequested)
            {
                // The node was lost before Started: try again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Resends the replay buffer and, if asked for, Finalize; true once the utterance is live on
    /// <paramref name="placement"/>, false if it lost that node meanwhile.</summary>
    private async Task<bool> GoLiveAsync(Placement placement, Started started)
    {
        await _sending.WaitAsync(_ended.Token).ConfigureAwait(false);
        try
        {
            ReplayBuffer.Chunk[] chunks;
            bool finalize;
            long held;
            lock (_gate)
            {
                if (_placement != placement)
                {
                    return false;
                }

                chunks = _buffer.ToArray();
                finalize = _finalizing;
                held = chunks.Length > 0 ? chunks[0].Offset : _framesSent;
            }

            // The node decoded the first resume_offset frames already (its snapshot); the client holds the frames from
            // `held` on. Frames in between were acknowledged durable by a node whose storage this one does not share.
            var resume = (long)started.ResumeOffset;
            if (resume < held)
            {
                End(new SvodException(ErrorCode.DataLoss,
                    $"{placement.Connection.Endpoint.Uri} resumed the utterance at frame {resume}, but frames up to " +
                    $"{held} were acknowledged as durable by a node whose storage it does not share, and were dropped",
                    UtteranceId));
                return true;
            }

            if (_first is not null && started.FrameWidth != _first.FrameWidth)
            {
                End(new SvodException(ErrorCode.FailedPrecondition,
                    $"replayed on {placement.Connection.Endpoint.Uri}, whose model takes frames of width " +
                    $"{started.FrameWidth}, not {_first.FrameWidth}", UtteranceId));
                return true;
            }

            foreach (var chunk in chunks.Where(c => c.Offset + c.Frames > resume))
            {
                await placement.Connection.SendAsync(FramesMessage(chunk.Offset, chunk.Data), _ended.Token)
                    .ConfigureAwait(false);
            }

            if (finalize)
            {
                await placement.Connection.SendAsync(FinalizeMessage(), _ended.Token).ConfigureAwait(false);
            }

            bool first;
            lock (_gate)
            {
                if (_placement != placement)
                {
                    return false;
                }

                placement.Live = true;
                _placing = false;
                first = _first is null;
                if (first)
                {
                    _first = started;
                }
                else
                {
                    _replays++;
                }
            }

            if (first)
            {
                _started.TrySetResult(started);
            }

            return true;
        }
        finally
        {
            ReleaseSending();
        }
    }

    /// <summary>Sends on the live connection; if it has just gone, the message waits in the replay buffer (or the
    /// Finalize flag) for the replay.</summary>
    private async Task SendOrDeferAsync(NodeConnection connection, ClientMessage message)
    {
        try
        {
            await connection.SendAsync(message, _ended.Token).ConfigureAwait(false);
        }
        catch (SvodException e) when (e.Code == ErrorCode.Unavailable)
        {
            Interrupt(connection, e.Message);
        }
        catch (OperationCanceledException) when (_ended.IsCancellationRequested)
        {
            // ended meanwhile
        }
    }

    private ClientMessage FramesMessage(long offset, ByteString data) =>
        new() { Frames = new Frames { UtteranceId = UtteranceId, Offset = (ulong)offset, Data = data } };

    private ClientMessage FinalizeMessage() => new() { Finalize = new Finalize { UtteranceId = UtteranceId } };

    /// <summary>One attempt to have the utterance on one connection. <see cref="Live"/> is guarded by the stream's
    /// gate.</summary>
    private sealed class Placement(NodeConnection connection)
    {
        public NodeConnection Connection => connection;

        public TaskCompletionSource<Started> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Live { get; set; }
    }
}
