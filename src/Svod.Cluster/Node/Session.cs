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
/// the connection goes on; when the client goes away its utterances are released.
/// </summary>
internal sealed partial class Session(
    WebSocket socket, ActorSystem actors, IReadOnlyDictionary<string, ServedModel> models, NodeOptions options,
    string connectionId) : IUtteranceOutput
{
    private readonly Channel<ServerMessage> _outbox = Channel.CreateUnbounded<ServerMessage>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Utterance> _utterances = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Send(ServerMessage message) => _outbox.Writer.TryWrite(message);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var writer = WriteAsync(cancellationToken);
        try
        {
            await ReadAsync(cancellationToken);
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
            }

            _outbox.Writer.TryComplete();
            await writer;
        }
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            message.SetLength(0);
            var tooLarge = false;
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
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

                await socket.SendAsync(message.ToByteArray(), WebSocketMessageType.Binary, true, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client is gone; its utterances are released by RunAsync.
        }
    }

    private void SendError(string utteranceId, ErrorCode code, string text) =>
        Send(new ServerMessage { Error = new Error { UtteranceId = utteranceId, Code = code, Message = text } });

    private sealed record Utterance(ActorRef<ChannelMessage> Actor, int Width, FrameEncoding Encoding);
}
