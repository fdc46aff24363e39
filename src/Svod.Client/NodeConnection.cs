using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using Google.Protobuf;
using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>
/// One WebSocket to a node, from open to close: sends one message at a time and reads until the socket ends, handing
/// every ServerMessage to the client. A connection is never reopened (its <see cref="NodeEndpoint"/> opens a new one),
/// so whatever is read here answers what was sent here.
/// </summary>
internal sealed class NodeConnection : IDisposable
{
    /// <summary>How long a closing handshake may take before the socket is dropped.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private volatile bool _lost;
    private volatile bool _draining;

    private NodeConnection(NodeEndpoint endpoint, ClientWebSocket socket)
    {
        Endpoint = endpoint;
        _socket = socket;
    }

    public NodeEndpoint Endpoint { get; }

    /// <summary>Open and not draining: a new utterance, or a replayed one, may be placed here.</summary>
    public bool Accepts => !_lost && !_draining;

    public static async Task<NodeConnection> OpenAsync(NodeEndpoint endpoint, SvodClientOptions options,
        CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        // Pings find a node that vanished without a reset (a partition, a paused process) long before TCP would.
        socket.Options.KeepAliveInterval = options.KeepAliveInterval;
        socket.Options.KeepAliveTimeout = options.KeepAliveTimeout;
        if (options.ApiKey is { } key)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        }

        if (options.TrustedCertificate is { } trusted)
        {
            socket.Options.RemoteCertificateValidationCallback =
                (_, certificate, _, errors) => CertificateTrust.Accepts(certificate, errors, trusted);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint.Uri, timeout.Token).ConfigureAwait(false);
            return new NodeConnection(endpoint, socket);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"no WebSocket within {options.ConnectTimeout.TotalSeconds:0.###} s"));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The node answered UNAVAILABLE for an utterance: it is shutting down, so nothing new goes here. The
    /// utterances it still serves stay until it ends them.</summary>
    public void MarkDraining() => _draining = true;

    /// <summary>Sends one message; a connection that fails is aborted (its reader reports the loss) and the failure
    /// is an UNAVAILABLE <see cref="SvodException"/>.</summary>
    /// <param name="cancellationToken">cancels waiting for the socket, not a send under way: cancelling a WebSocket
    /// send aborts the whole connection, every utterance on it.</param>
    public async Task SendAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        // Serialized now, before the first await: the caller's payload (a replay buffer chunk) is read only here.
        var size = message.CalculateSize();
        var bytes = ArrayPool<byte>.Shared.Rent(size);
        message.WriteTo(bytes.AsSpan(0, size));
        try
        {
            await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(bytes);
            throw;
        }

        try
        {
            if (_lost)
            {
                throw new SvodException(ErrorCode.Unavailable, $"the connection to {Endpoint.Uri} is closed");
            }

            await _socket.SendAsync(bytes.AsMemory(0, size), WebSocketMessageType.Binary, true, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException
                                      or OperationCanceledException)
        {
            _lost = true;
            _socket.Abort();
            throw new SvodException(ErrorCode.Unavailable, $"sending to {Endpoint.Uri} failed: {e.Message}", null, e);
        }
        finally
        {
            _sending.Release();
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Reads and dispatches until the connection ends; returns how it ended, for error messages.</summary>
    public async Task<string> ReadAsync(SvodClient client)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                message.SetLength(0);
                ValueWebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None)
                        .ConfigureAwait(false);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        _lost = true;
                        await CloseOutputAsync().ConfigureAwait(false);
                        return $"the node closed the connection ({_socket.CloseStatus} " +
                            $"{_socket.CloseStatusDescription})";
                    }

                    message.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);

                client.Dispatch(this, ServerMessage.Parser.ParseFrom(message.GetBuffer(), 0, (int)message.Length));
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException
                                      or OperationCanceledException or InvalidProtocolBufferException)
        {
            _socket.Abort();
            return $"connection lost: {e.Message}";
        }
        finally
        {
            _lost = true;
        }
    }

    /// <summary>Starts the closing handshake; the reader ends when the node answers it.</summary>
    public Task CloseAsync()
    {
        _lost = true;
        return CloseOutputAsync();
    }

    public void Abort() => _socket.Abort();

    public void Dispose() => _socket.Dispose();

    private async Task CloseOutputAsync()
    {
        using var grace = new CancellationTokenSource(CloseGrace);
        try
        {
            await _sending.WaitAsync(grace.Token).ConfigureAwait(false);
            try
            {
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", grace.Token)
                        .ConfigureAwait(false);
                }
            }
            finally
            {
                _sending.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException
                                      or OperationCanceledException)
        {
            _socket.Abort();
        }
    }
}
