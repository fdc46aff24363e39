using System.Net.WebSockets;
using System.Threading.Channels;
using Google.Protobuf;
using Svod.Client.Protocol;
using Svod.Cluster.Actors;
using Svod.Cluster.Channels;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Node;

/// <summary>
/// One client connection: reads ClientMessages from the WebSocket, routes them to the connection's channel actors,
/// and writes every ServerMessage through one writer. Problems it can describe are answered with a typed Error and
/// the connection goes on; when the client goes away its utterances are released. It stops reading while the
/// connection holds more than <c>max-pending-frames</c> undecoded frames, and when the node drains it closes once its
/// utterances have finished.
/// </summary>
internal sealed partial class Session(WebSocket socket, NodeContext node, string connectionId)
{
    private readonly NodeOptions options = node.Options;
    private readonly NodeCounters counters = node.Counters;

    /// <summary>How long a client gets to answer the node's close before its socket is dropped.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly Channel<ServerMessage?> _outbox = Channel.CreateUnbounded<ServerMessage?>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Utterance> _utterances = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _reading = new();
    private long _pending;
    private TaskCompletionSource? _room;
    private bool _draining;
    private bool _closing;

    public string Id => connectionId;

    /// <summary>Frames this connection has received that are not decoded yet.</summary>
    public long PendingFrames => Interlocked.Read(ref _pending);

    public void Send(ServerMessage message) => _outbox.Writer.TryWrite(message);

    /// <summary>
    /// The node no longer serves <paramref name="shard"/>: each open utterance of it is sent to
    /// <paramref name="owner"/> (Redirect) or told UNAVAILABLE, and its actor stops without forgetting its snapshot,
    /// from which the new owner resumes it. <paramref name="shard"/> -1 means every shard.
    /// </summary>
    public void StopShard(int shard, (string Address, long Epoch)? owner, string reason)
    {
        Utterance[] moving;
        lock (_gate)
        {
            moving = [.. _utterances.Values.Where(u => shard < 0 || u.Shard == shard)];
        }

        foreach (var u in moving)
        {
            Detach(u);
            Send(owner is { } o
                ? new ServerMessage { Redirect = new Redirect { UtteranceId = u.Id, Owner = o.Address, Epoch = (ulong)o.Epoch } }
                : new ServerMessage { Error = new Error { UtteranceId = u.Id, Code = ErrorCode.Unavailable, Message = reason } });
            u.Actor.Tell(new ChannelMessage.ClientGone()); // silent: the client has been told
        }
    }

    /// <summary>Ids of the utterances open on this connection now.</summary>
    public string[] OpenUtterances()
    {
        lock (_gate)
        {
            return [.. _utterances.Keys];
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _reading.Token);
        var writer = WriteAsync(cancellationToken);
        try
        {
            await ReadAsync(reading.Token);
        }
        catch (OperationCanceledException) when (_reading.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Closed by the node (drain) and the client did not answer the close in time.
        }
        finally
        {
            Utterance[] open;
            lock (_gate)
            {
                open = [.. _utterances.Values];
                _utterances.Clear();
            }

            foreach (var u in open)
            {
                u.Actor.Tell(new ChannelMessage.ClientGone());
                u.Close();
            }

            _outbox.Writer.TryComplete();
            await writer;
            _reading.Dispose();
        }
    }

    /// <summary>The node is stopping: no new utterances; the connection closes once the open ones have finished.</summary>
    public void Drain()
    {
        lock (_gate)
        {
            _draining = true;
        }

        CloseIfDrained();
    }

    /// <summary>The drain timeout has passed: what is still open ends with UNAVAILABLE and the connection closes.</summary>
    public void Abort()
    {
        Utterance[] open;
        lock (_gate)
        {
            _draining = true;
            open = [.. _utterances.Values];
        }

        foreach (var u in open)
        {
            Send(new ServerMessage
            {
                Error = new Error
                {
                    UtteranceId = u.Id, Code = ErrorCode.Unavailable, NodeDraining = true,
                    Message = "the node shut down before this utterance finished; send it to another node",
                },
            });
            u.Actor.Tell(new ChannelMessage.ClientGone());
        }

        Close();
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            await WaitForRoomAsync(cancellationToken);
            message.SetLength(0);
            var tooLarge = false;
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
                    }

                    return;
                }

                if (message.Length + received.Count > options.MaxMessageSize)
                {
                    tooLarge = true; // keep reading to the end of the message, then refuse it
                }
                else
                {
                    message.Write(buffer, 0, received.Count);
                }
            }
            while (!received.EndOfMessage);

            if (tooLarge)
            {
                SendError("", ErrorCode.ResourceExhausted,
                    $"message larger than svod.node.max-message-size ({options.MaxMessageSize} bytes) was skipped");
                continue;
            }

            if (received.MessageType != WebSocketMessageType.Binary)
            {
                SendError("", ErrorCode.InvalidArgument, "text messages are not part of the protocol; send binary protobuf");
                continue;
            }

            ClientMessage parsed;
            try
            {
                parsed = ClientMessage.Parser.ParseFrom(message.GetBuffer().AsSpan(0, (int)message.Length));
            }
            catch (InvalidProtocolBufferException e)
            {
                SendError("", ErrorCode.InvalidArgument, $"malformed protobuf: {e.Message}");
                continue;
            }

            Route(parsed);
        }
    }

    /// <summary>Backpressure: while the connection holds more undecoded frames than allowed, the next message waits.
    /// One message is never refused for its size here (max-message-size does that), so a connection holds at most the
    /// limit plus one message.</summary>
    private async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Read(ref _pending) <= options.MaxPendingFrames)
        {
            return;
        }

        counters.Paused();
        while (true)
        {
            var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _room, room); // a full fence: the check below cannot move before the publish
            if (Interlocked.Read(ref _pending) <= options.MaxPendingFrames)
            {
                return;
            }

            await room.Task.WaitAsync(cancellationToken);
        }
    }

    private void Hold(long frames) => counters.Pending(Interlocked.Add(ref _pending, frames));

    private void Release(long frames)
    {
        if (frames != 0 && Interlocked.Add(ref _pending, -frames) <= options.MaxPendingFrames)
        {
            Interlocked.Exchange(ref _room, null)?.TrySetResult();
        }
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _outbox.Reader.ReadAllAsync(cancellationToken))
            {
                if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    continue;
                }

                if (message is null)
                {
                    // The node closes: everything queued before this is out; the client answers the close.
                    await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "node shutting down",
                        cancellationToken);
                    _reading.CancelAfter(CloseGrace);
                    continue;
                }

                await socket.SendAsync(message.ToByteArray(), WebSocketMessageType.Binary, true, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone; its utterances are released by RunAsync.
        }
    }

    private void CloseIfDrained()
    {
        lock (_gate)
        {
            if (!_draining || _utterances.Count > 0)
            {
                return;
            }
        }

        Close();
    }

    private void Close()
    {
        lock (_gate)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
        }

        _outbox.Writer.TryWrite(null);
    }

    private void SendError(string utteranceId, ErrorCode code, string text) =>
        Send(new ServerMessage { Error = new Error { UtteranceId = utteranceId, Code = code, Message = text } });
}
