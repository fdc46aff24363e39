using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Svod.Client.Protocol;

namespace Svod.IntegrationTests;

/// <summary>A WebSocket speaking the protocol by hand (the client library arrives with its issue): sends
/// ClientMessages, collects every ServerMessage per utterance.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private Task? _reader;

    public ConcurrentDictionary<string, ConcurrentQueue<ServerMessage>> Received { get; } = new();

    public ConcurrentDictionary<string, TaskCompletionSource<Result>> Finals { get; } = new();

    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the connection has ended, with the close status the node sent (null if none).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    /// <param name="trusted">A self-signed certificate a wss:// node presents.</param>
    public static async Task<RawConnection> OpenAsync(Uri uri, string? apiKey = null, X509Certificate2? trusted = null)
    {
        var connection = new RawConnection();
        if (apiKey is not null)
        {
            connection._socket.Options.SetRequestHeader("Authorization", $"Bearer {apiKey}");
        }

        if (trusted is not null)
        {
            connection._socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || (certificate is not null && certificate.GetRawCertData().AsSpan()
                    .SequenceEqual(trusted.RawData));
        }

        await connection._socket.ConnectAsync(uri, CancellationToken.None);
        connection._reader = connection.ReadAsync();
        return connection;
    }

    public ConcurrentDictionary<string, TaskCompletionSource<Error>> FirstErrors { get; } = new();

    /// <summary>Completes with the first Error for the utterance ("" for the connection).</summary>
    public Task<Error> FirstErrorOf(string utterance) =>
        FirstErrors.GetOrAdd(utterance, _ => new TaskCompletionSource<Error>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public ConcurrentDictionary<string, TaskCompletionSource> Starts { get; } = new();

    /// <summary>Completes when the node has answered Started for the utterance.</summary>
    public Task FirstStartedOf(string utterance) =>
        Starts.GetOrAdd(utterance, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public Task<Result> FinalOf(string utterance) =>
        Finals.GetOrAdd(utterance, _ => new TaskCompletionSource<Result>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public IReadOnlyList<Error> ErrorsOf(string utterance) =>
        Received.TryGetValue(utterance, out var q) ? [.. q.Where(m => m.Error is not null).Select(m => m.Error)] : [];

    public async Task SendAsync(ClientMessage message) => await SendBytesAsync(message.ToByteArray());

    public async Task SendBytesAsync(byte[] bytes)
    {
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }
    }

    public Task StartAsync(string id, string model = "demo") =>
        SendAsync(new ClientMessage { Start = new Start { UtteranceId = id, Model = model, Options = new StreamOptions() } });

    public Task FramesAsync(string id, long offset, ReadOnlySpan<float> values) => SendAsync(new ClientMessage
    {
        Frames = new Frames { UtteranceId = id, Offset = (ulong)offset, Data = FramePayload.Encode(values, FrameEncoding.F32) },
    });

    public Task FinalizeAsync(string id) => SendAsync(new ClientMessage { Finalize = new Finalize { UtteranceId = id } });

    /// <summary>Drops the TCP connection without a close handshake, as a crashed client would.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }

        if (_reader is not null)
        {
            await _reader;
        }

        _socket.Dispose();
        _sending.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    }

                    return;
                }

                var message = ServerMessage.Parser.ParseFrom(buffer, 0, count);
                var id = message.KindCase switch
                {
                    ServerMessage.KindOneofCase.Started => message.Started.UtteranceId,
                    ServerMessage.KindOneofCase.Result => message.Result.UtteranceId,
                    ServerMessage.KindOneofCase.Ack => message.Ack.UtteranceId,
                    ServerMessage.KindOneofCase.Error => message.Error.UtteranceId,
                    _ => "",
                };
                Received.GetOrAdd(id, _ => new ConcurrentQueue<ServerMessage>()).Enqueue(message);
                if (message.Started is not null)
                {
                    Starts.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))
                        .TrySetResult();
                }

                if (message.Error is { } error)
                {
                    FirstErrors.GetOrAdd(id, _ => new TaskCompletionSource<Error>(TaskCreationOptions.RunContinuationsAsynchronously))
                        .TrySetResult(error);
                }

                if (message.Result is { IsFinal: true } final)
                {
                    Finals.GetOrAdd(id, _ => new TaskCompletionSource<Result>(TaskCreationOptions.RunContinuationsAsynchronously))
                        .TrySetResult(final);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // closed by the node, or aborted by the test
        }
        finally
        {
            _closed.TrySetResult(_socket.CloseStatus);
        }
    }
}
