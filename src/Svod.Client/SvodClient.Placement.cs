using System.Diagnostics;
using Svod.Client.Protocol;

namespace Svod.Client;

public sealed partial class SvodClient
{
    /// <summary>The first connected node in <paramref name="order"/> that takes new utterances, waiting for one to
    /// connect for at most <paramref name="patience"/>; null when none did.</summary>
    /// <exception cref="SvodException">every node has refused this client (its credentials).</exception>
    internal async Task<NodeConnection?> WaitForConnectionAsync(int[] order, int preferred, TimeSpan patience,
        CancellationToken cancellationToken)
    {
        var since = Stopwatch.GetTimestamp();
        while (true)
        {
            // Read before looking, so that a node connecting in between still wakes this wait.
            var connected = Volatile.Read(ref _connected).Task;
            var endpoints = Volatile.Read(ref _endpoints);
            // The shard's owner, when known, for a while: any other node would only redirect there. After that,
            // any node (the owner may be gone, and its successor unknown yet).
            if (preferred >= 0 && Stopwatch.GetElapsedTime(since) < Options.ConnectTimeout && !endpoints[preferred].IsDown)
            {
                if (endpoints[preferred].Current is { Accepts: true } owner)
                {
                    return owner;
                }

                try
                {
                    await connected.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // look again
                }

                continue;
            }

            Error? refusal = null;
            var refused = 0;
            foreach (var i in order)
            {
                if (endpoints[i].Refusal is { } r)
                {
                    refusal = r;
                    refused++;
                }
                else if (endpoints[i].Current is { Accepts: true } connection)
                {
                    return connection;
                }
            }

            if (refused == order.Length)
            {
                throw SvodException.From(refusal!);
            }

            var left = patience - Stopwatch.GetElapsedTime(since);
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            try
            {
                await connected.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }

    /// <summary>Each node in <paramref name="order"/> with what happened to it last, for error messages.</summary>
    internal string DescribeNodes(IEnumerable<int> order)
    {
        var endpoints = Volatile.Read(ref _endpoints);
        return string.Join("; ", order.Select(i => $"{endpoints[i].Uri} ({endpoints[i].State})"));
    }

    /// <summary>The endpoint of <paramref name="node"/> (a stream URL a shard map or a Redirect named), added and
    /// connecting in the background if this client did not know it.</summary>
    internal int EndpointIndex(Uri node)
    {
        node = Normalize(node);
        lock (_endpointsGate)
        {
            var endpoints = _endpoints;
            for (var i = 0; i < endpoints.Length; i++)
            {
                if (endpoints[i].Uri == node)
                {
                    return i;
                }
            }

            var added = new NodeEndpoint(this, node, Options);
            Volatile.Write(ref _endpoints, [.. endpoints, added]);
            if (!_closing.IsCancellationRequested)
            {
                added.Run(null, _closing.Token);
            }

            return endpoints.Length;
        }
    }

    /// <summary>A node URL as the client keys it: no trailing slash difference, default path /v1/stream.</summary>
    private static Uri Normalize(Uri node) =>
        node.AbsolutePath is "" or "/" ? new UriBuilder(node) { Path = "/v1/stream" }.Uri : node;

    /// <summary>Wakes every utterance waiting for a node.</summary>
    internal void OnConnected()
    {
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _connected, next).TrySetResult();
    }

    internal void CountReconnect() => Interlocked.Increment(ref _reconnects);

    internal void OnConnectionLost(NodeConnection connection, string reason)
    {
        foreach (var stream in _utterances.Values)
        {
            stream.OnConnectionLost(connection, $"{connection.Endpoint.Uri}: {reason}");
        }
    }

    /// <summary>Hands a node's message to its utterance; each utterance heeds only the connection it is placed on.
    /// </summary>
    internal void Dispatch(NodeConnection connection, ServerMessage message)
    {
        switch (message.KindCase)
        {
            case ServerMessage.KindOneofCase.Started when Find(message.Started.UtteranceId) is { } s:
                s.OnStarted(connection, message.Started);
                break;
            case ServerMessage.KindOneofCase.Result when Find(message.Result.UtteranceId) is { } s:
                s.OnResult(connection, message.Result);
                break;
            case ServerMessage.KindOneofCase.Ack when Find(message.Ack.UtteranceId) is { } s:
                s.OnAck(connection, message.Ack);
                break;
            case ServerMessage.KindOneofCase.Error when message.Error.UtteranceId is "":
                // A problem of the whole connection: every utterance on it hears it. A node that refuses the
                // client's credentials will refuse them again: it is not tried any more.
                if (message.Error.Code is ErrorCode.Unauthenticated or ErrorCode.PermissionDenied)
                {
                    connection.Endpoint.Refuse(message.Error);
                }

                foreach (var s in _utterances.Values)
                {
                    s.OnError(connection, message.Error);
                }

                break;
            case ServerMessage.KindOneofCase.Error when Find(message.Error.UtteranceId) is { } s:
                s.OnError(connection, message.Error);
                break;
            case ServerMessage.KindOneofCase.Redirect when Find(message.Redirect.UtteranceId) is { } s &&
                                                          Uri.TryCreate(message.Redirect.Owner, UriKind.Absolute, out var owner):
                s.OnRedirect(connection, EndpointIndex(owner), message.Redirect.Owner);
                break;
        }
    }

    private UtteranceStream? Find(string id) => _utterances.TryGetValue(id, out var s) ? s : null;
}
