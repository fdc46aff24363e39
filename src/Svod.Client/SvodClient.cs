using System.Collections.Concurrent;
using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>
/// A client of one or more Svod nodes: one WebSocket per node, many utterances multiplexed on each. Each utterance is
/// placed on one node; when its node is lost (connection closed, or UNAVAILABLE from a node shutting down) it is
/// replayed on the first node connected, another one or the same one once back, and its results go on where they
/// were. Lost connections are reopened in the background until the client is disposed. Thread-safe: utterances may be
/// streamed from different tasks at once.
/// </summary>
public sealed partial class SvodClient : IAsyncDisposable
{
    private readonly Lock _endpointsGate = new();
    private readonly Uri[] _nodes;
    // Copy-on-write, appended to when a shard map or a Redirect names a node not given to ConnectAsync: indexes stay.
    private NodeEndpoint[] _endpoints;
    private ShardRoutes? _routes;
    private readonly ConcurrentDictionary<string, UtteranceStream> _utterances = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _reconnects;
    private int _disposed;

    private SvodClient(Uri[] nodes, SvodClientOptions options)
    {
        _nodes = nodes;
        Options = options;
        _endpoints = [.. nodes.Select(n => new NodeEndpoint(this, n, options))];
    }

    /// <summary>Connections opened in the background since <see cref="ConnectAsync(IReadOnlyList{Uri},
    /// SvodClientOptions?, CancellationToken)"/> returned: reconnects after losses and late first connections.
    /// </summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    internal SvodClientOptions Options { get; }

    /// <summary>Connects to a node's stream endpoint, e.g. <c>ws://host:5080/v1/stream</c>.</summary>
    /// <exception cref="SvodException">UNAVAILABLE: the node cannot be reached (the cause is the inner exception).
    /// </exception>
    public static Task<SvodClient> ConnectAsync(Uri node, SvodClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return ConnectAsync([node], options, cancellationToken);
    }

    /// <summary>
    /// Connects to every node's stream endpoint at once and returns when each attempt has ended, if at least one
    /// succeeded; the nodes that failed keep being retried in the background.
    /// </summary>
    /// <exception cref="SvodException">UNAVAILABLE: no node can be reached; the message names each with its error.
    /// </exception>
    public static async Task<SvodClient> ConnectAsync(IReadOnlyList<Uri> nodes, SvodClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0 || nodes.Any(n => n is null))
        {
            throw new ArgumentException("give at least one node URL, and no null", nameof(nodes));
        }

        if (nodes.Distinct().Count() != nodes.Count)
        {
            throw new ArgumentException($"a node is listed twice: {string.Join(", ", nodes)}", nameof(nodes));
        }

        var client = new SvodClient([.. nodes.Select(Normalize)], options ?? new SvodClientOptions());
        var attempts = await Task.WhenAll(client._endpoints.Select(e => e.ConnectFirstAsync(cancellationToken)))
            .ConfigureAwait(false);
        if (cancellationToken.IsCancellationRequested || attempts.All(a => a.Connection is null))
        {
            foreach (var (connection, _) in attempts)
            {
                connection?.Abort();
                connection?.Dispose();
            }

            cancellationToken.ThrowIfCancellationRequested();
            throw new SvodException(ErrorCode.Unavailable,
                $"no node could be reached: {client.DescribeNodes(Enumerable.Range(0, nodes.Count))}", null,
                attempts[0].Error);
        }

        for (var i = 0; i < attempts.Length; i++)
        {
            client._endpoints[i].Run(attempts[i].Connection, client._closing.Token);
        }

        // A cluster answers which node owns which shard: utterances go straight to their owners.
        var reachable = attempts.Select((a, i) => (a.Connection, i)).First(a => a.Connection is not null).i;
        client._routes = await ShardRoutes.FetchAsync(client._nodes[reachable], client.Options, cancellationToken)
            .ConfigureAwait(false);
        return client;
    }

    /// <summary>
    /// Opens an utterance on its node (see <see cref="SvodClientOptions.ReconnectTimeout"/> when none is connected):
    /// sends Start and waits for Started. A refusal (unknown model, no free channel, bad key) throws
    /// <see cref="SvodException"/> with the node's code.
    /// </summary>
    /// <exception cref="InvalidOperationException">an utterance with this id is open on this client.</exception>
    public async Task<UtteranceStream> StartAsync(string utteranceId, string model, StreamOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(utteranceId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        options = options?.Clone() ?? new StreamOptions();
        options.Encoding = Options.Encoding;
        var start = new Start { UtteranceId = utteranceId, Model = model, Options = options };
        var stream = new UtteranceStream(this, start, NodeRanking.Order(utteranceId, _nodes),
            _routes?.OwnerOf(utteranceId) is { } owner ? EndpointIndex(owner) : -1);
        if (!_utterances.TryAdd(utteranceId, stream))
        {
            throw new InvalidOperationException($"utterance {utteranceId} is already open on this client");
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            // DisposeAsync ran meanwhile and may have missed this stream.
            stream.End(null);
            throw new ObjectDisposedException(nameof(SvodClient));
        }

        stream.Place();
        try
        {
            await stream.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stream.CancelAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Ends every open utterance (its <see cref="UtteranceStream.Results"/> with CANCELLED) and closes the
    /// connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        foreach (var stream in _utterances.Values)
        {
            stream.End(new SvodException(ErrorCode.Cancelled, "the client was disposed", stream.UtteranceId));
        }

        await Task.WhenAll(_endpoints.Select(e => e.StopAsync())).ConfigureAwait(false);
        _closing.Dispose();
    }

    internal void Forget(UtteranceStream stream) => _utterances.TryRemove(new(stream.UtteranceId, stream));
}
