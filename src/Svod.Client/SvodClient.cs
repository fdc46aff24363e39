using System.Collections.Concurrent;
using System.Net.WebSockets;
using Google.Protobuf;
using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>
/// A connection to one Svod node: one WebSocket, many utterances multiplexed on it. Thread-safe: utterances may be
/// streamed from different tasks at once.
/// </summary>
public sealed class SvodClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly SvodClientOptions _options;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly ConcurrentDictionary<string, UtteranceStream> _utterances = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private Task _reader = Task.CompletedTask;

    private SvodClient(ClientWebSocket socket, SvodClientOptions options)
    {
        _socket = socket;
        _options = options;
    }

    /// <summary>Connects to a node's stream endpoint, e.g. <c>ws://host:5080/v1/stream</c>.</summary>
    public static async Task<SvodClient> ConnectAsync(Uri node, SvodClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        options ??= new SvodClientOptions();
        var socket = new ClientWebSocket();
        if (options.ApiKey is { } key)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        }

        try
        {
            await socket.ConnectAsync(node, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new SvodClient(socket, options);
        client._reader = Task.Run(client.ReadAsync, CancellationToken.None);
        return client;
    }

    /// <summary>
    /// Opens an utterance: sends Start and waits for Started. A refusal (unknown model, no free channel, bad key)
    /// throws <see cref="SvodException"/> with the node's code.
    /// </summary>
    public async Task<UtteranceStream> StartAsync(string utteranceId, string model, StreamOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(utteranceId);
        options = options?.Clone() ?? new StreamOptions();
        options.Encoding = _options.Encoding;
        var stream = new UtteranceStream(this, utteranceId, options.Encoding);
        if (!_utterances.TryAdd(utteranceId, stream))
        {
            throw new InvalidOperationException($"utterance {utteranceId} is already open on this client");
        }

        try
        {
            await SendAsync(new ClientMessage { Start = new Start { UtteranceId = utteranceId, Model = model, Options = options } },
                cancellationToken).ConfigureAwait(false);
            await stream.Started.WaitAsync(_options.StartTimeout, cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            _utterances.TryRemove(utteranceId, out _);
            throw;
        }
    }

    internal async Task SendAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        var bytes = message.ToByteArray();
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    internal void Forget(UtteranceStream stream) => _utterances.TryRemove(new(stream.UtteranceId, stream));

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
                // already gone
            }
        }

        await _reader.ConfigureAwait(false);
        _socket.Dispose();
        _sending.Dispose();
        _closing.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        Exception? failure = null;
        try
        {
            using var message = new MemoryStream();
            while (_socket.State == WebSocketState.Open)
            {
                message.SetLength(0);
                ValueWebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(buffer.AsMemory(), _closing.Token).ConfigureAwait(false);
                    message.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                Dispatch(ServerMessage.Parser.ParseFrom(message.GetBuffer(), 0, (int)message.Length));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or InvalidProtocolBufferException)
        {
            failure = e;
        }

        // Whatever is still open cannot finish on this connection.
        foreach (var stream in _utterances.Values)
        {
            stream.Fail(new SvodException(ErrorCode.Unavailable,
                $"connection to the node closed{(failure is null ? "" : $": {failure.Message}")}", stream.UtteranceId));
        }
    }

    private void Dispatch(ServerMessage message)
    {
        switch (message.KindCase)
        {
            case ServerMessage.KindOneofCase.Started when Find(message.Started.UtteranceId) is { } s:
                s.OnStarted(message.Started);
                break;
            case ServerMessage.KindOneofCase.Result when Find(message.Result.UtteranceId) is { } s:
                s.OnResult(message.Result);
                break;
            case ServerMessage.KindOneofCase.Error when message.Error.UtteranceId is "":
                // A problem of the whole connection (e.g. UNAUTHENTICATED): every open utterance hears it.
                foreach (var s in _utterances.Values)
                {
                    s.Fail(SvodException.From(message.Error));
                }

                break;
            case ServerMessage.KindOneofCase.Error when Find(message.Error.UtteranceId) is { } s:
                s.OnError(message.Error);
                break;
        }
    }

    private UtteranceStream? Find(string id) => _utterances.TryGetValue(id, out var s) ? s : null;
}
