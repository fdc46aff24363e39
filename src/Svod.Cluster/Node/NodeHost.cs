using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Svod.Client.Protocol;
using Svod.Cluster.Actors;
using Svod.Cluster.Configuration;
using Svod.Cluster.Persistence;
using Google.Protobuf;

namespace Svod.Cluster.Node;

/// <summary>
/// The streaming node: Kestrel with the WebSocket protocol at <c>/v1/stream</c>, <c>/healthz</c> (the process is up)
/// and <c>/readyz</c> (models loaded, accepting streams), an actor system for channel actors and one lane pool per
/// model.
/// </summary>
public sealed partial class NodeHost : IAsyncDisposable
{
    public const string StreamPath = "/v1/stream";

    private readonly WebApplication _app;
    private readonly ActorSystem _actors;
    private readonly Dictionary<string, ServedModel> _models;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly NodeCounters _counters = new();
    private readonly TimeSpan _drainTimeout;
    private readonly NodeContext _context;
    private readonly SnapshotWriter? _writer;
    private readonly ISnapshotStore? _store;
    private readonly string _advertise;
    private readonly string _nodeId;
    private readonly IClusterAdmin _admin;
    private readonly IReadOnlyList<string> _adminKeys;
    private readonly long _startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private long _connections;
    private int _draining;

    /// <param name="store">Opens where channel snapshots go (given the node's loggers); null: nowhere (utterances die
    /// with the node). The node owns the store and disposes it.</param>
    /// <param name="ownership">Which shards this node serves; null: all of them (a single node).</param>
    /// <param name="admin">What the admin endpoints show and change; null: this node alone.</param>
    public NodeHost(SvodSettings settings, IReadOnlyDictionary<string, Svod.Gpu.Models.RnntModel> models,
        Func<ILoggerFactory?, ISnapshotStore>? store = null, IShardOwnership? ownership = null,
        IClusterAdmin? admin = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(models);
        var options = settings.Options;
        var fellBack = new List<string>();
        _models = models.ToDictionary(m => m.Key,
            m => new ServedModel(m.Key, m.Value, options.Node.Channels, options.Lanes.Count,
                options.Lanes.MaxFramesPerCall, options.Decoding.Backend, reason => fellBack.Add($"{m.Key}: {reason}")));
        _drainTimeout = options.Node.DrainTimeout;
        var builder = WebApplication.CreateSlimBuilder();
        var urls = options.Node.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries);
        builder.WebHost.UseUrls(urls);
        NodeTls.Configure(builder.WebHost, options.Node.Tls, urls);
        // Kestrel waits this long for connections to end on shutdown; the drain ends them before it gives up.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = _drainTimeout + TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        _app = builder.Build();
        var logs = _app.Services.GetService(typeof(ILoggerFactory)) as ILoggerFactory;
        if (logs is not null)
        {
            var log = logs.CreateLogger<NodeHost>();
            fellBack.ForEach(reason => LogBackendFellBack(log, reason));
        }

        _actors = new ActorSystem(TimeProvider.System, logs);
        _advertise = options.Cluster.Advertise;
        _nodeId = options.Cluster.NodeId;
        _adminKeys = options.Security.AdminKeys;
        _admin = admin ?? new SingleNodeAdmin(this);
        _store = store?.Invoke(logs);
        _writer = _store is null
            ? null
            : new SnapshotWriter(_store, options.Persistence.SnapshotInterval, TimeProvider.System,
                logs?.CreateLogger<SnapshotWriter>());
        _context = new NodeContext(_actors, _models, options.Node, _counters,
            ownership ?? new SingleNodeOwnership(options.Cluster.Shards, () => Advertised), _writer,
            options.Persistence.FinalRetention);
        var ready = false;
        _app.Lifetime.ApplicationStarted.Register(() => ready = true);
        _app.Lifetime.ApplicationStopping.Register(() =>
        {
            ready = false;
            Drain();
        });
        _app.UseWebSockets();
        _app.MapGet("/healthz", () => Results.Text("ok"));
        _app.MapGet("/readyz", () => ready ? Results.Text("ready") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        _app.MapGet("/v1/stats", (HttpRequest request) =>
        {
            if (request.Query["gc"] == "1")
            {
                // For measurements: memory after a full collection, not whatever garbage is pending.
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
            }

            return Results.Text(StatsJson(), "application/json");
        });
        _app.MapGet("/v1/shards", () => Results.Text(ShardsJson(), "application/json"));
        MapAdmin();
        _app.Map(StreamPath, context => AcceptAsync(context, options));
    }

    /// <summary>The stream URL clients reach this node at: <c>svod.cluster.advertise</c>, else the first URL Kestrel
    /// listens on.</summary>
    public string Advertised => _advertise.Length > 0
        ? _advertise
        : new UriBuilder(_app.Urls.FirstOrDefault() ?? "http://127.0.0.1")
        {
            Scheme = _app.Urls.FirstOrDefault()?.StartsWith("https", StringComparison.Ordinal) == true ? "wss" : "ws",
            Path = StreamPath,
        }.Uri.ToString();

    /// <summary>This node's name among members: <c>svod.cluster.node-id</c>, else host:port of its address.</summary>
    public string NodeId => _nodeId.Length > 0 ? _nodeId : new Uri(Advertised).Authority;

    public int ShardCount => _context.Ownership.ShardCount;

    public bool Draining => Volatile.Read(ref _draining) != 0;

    /// <summary>Open channels over every model.</summary>
    public int OpenChannels => _models.Values.Sum(m => m.Pool.OpenChannels);

    /// <summary>Fraction of the time since start the lane pools spent in calls (averaged over models).</summary>
    public double LanesBusy => _models.Count == 0
        ? 0
        : _models.Values.Average(m => m.Pool.Stats.Busy.TotalSeconds) /
          Math.Max(1e-9, System.Diagnostics.Stopwatch.GetElapsedTime(_startedAt).TotalSeconds);

    /// <summary>Open utterances per shard, over every connection.</summary>
    public int[] ChannelsPerShard()
    {
        var counts = new int[ShardCount];
        foreach (var session in _sessions.Values)
        {
            foreach (var id in session.OpenUtterances())
            {
                counts[Svod.Client.ShardMap.ShardOf(id, counts.Length)]++;
            }
        }

        return counts;
    }

    /// <summary>Sends every open utterance of <paramref name="shard"/> to <paramref name="owner"/> (or tells it
    /// UNAVAILABLE when no owner is known) and stops its actors; their snapshots stay for the new owner.</summary>
    public void StopShard(int shard, (string Address, long Epoch)? owner)
    {
        foreach (var session in _sessions.Values)
        {
            session.StopShard(shard, owner, $"shard {shard} moved to another node; send the utterance again");
        }
    }

    /// <summary>The node may serve nothing now (its lease is gone): every open utterance is told UNAVAILABLE.</summary>
    public void StopAllShards(string reason)
    {
        foreach (var session in _sessions.Values)
        {
            session.StopShard(-1, null, $"{reason}; send the utterance again");
        }
    }

    /// <summary>Writes every dirty channel's snapshot now (a hand-off does, before it lets the shard go).</summary>
    public Task FlushSnapshotsAsync(CancellationToken cancellationToken) =>
        _writer?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Stops the node as SIGTERM does (drain, then exit).</summary>
    public void RequestShutdown() => _app.Lifetime.StopApplication();

    /// <summary>The addresses Kestrel listens on (after <see cref="StartAsync"/>).</summary>
    public IReadOnlyList<string> Urls => [.. _app.Urls];

    public Task StartAsync(CancellationToken cancellationToken) => _app.StartAsync(cancellationToken);

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        if (_writer is not null)
        {
            await _writer.DisposeAsync(); // the last snapshots, while their actors can still answer
        }

        await _actors.DisposeAsync();
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        foreach (var model in _models.Values)
        {
            await model.DisposeAsync();
        }

        await _app.DisposeAsync();
    }

    private async Task AcceptAsync(HttpContext context, SvodOptions options)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"{StreamPath} speaks the Svod protocol over WebSockets");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var keys = options.Security.ApiKeys;
        if (keys.Count > 0 && !keys.Contains(ApiKey(context.Request), StringComparer.Ordinal))
        {
            // Say why before closing: a node never closes a socket over a problem it can describe.
            var error = new ServerMessage
            {
                Error = new Error { Code = ErrorCode.Unauthenticated, Message = "missing or wrong API key (Authorization: Bearer KEY)" },
            };
            await socket.SendAsync(error.ToByteArray(), System.Net.WebSockets.WebSocketMessageType.Binary, true,
                context.RequestAborted);
            await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, "unauthenticated",
                context.RequestAborted);
            return;
        }

        var id = $"c{Interlocked.Increment(ref _connections)}";
        var session = new Session(socket, _context, id);
        _sessions[id] = session;
        if (Volatile.Read(ref _draining) != 0)
        {
            session.Drain(); // accepted while the node was starting to stop
        }

        try
        {
            await session.RunAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException)
        {
            // The client vanished; the session has released its utterances.
        }
        finally
        {
            _sessions.TryRemove(id, out _);
        }
    }

    /// <summary>Graceful shutdown: no new utterances anywhere; each connection closes once its utterances finish, and
    /// after the drain timeout whatever is still open is ended with UNAVAILABLE.</summary>
    private void Drain()
    {
        if (Interlocked.Exchange(ref _draining, 1) != 0)
        {
            return;
        }

        var log = _app.Services.GetService(typeof(ILogger<NodeHost>)) as ILogger;
        log?.LogInformation("svod node draining: {Connections} connections, at most {Timeout}", _sessions.Count, _drainTimeout);
        foreach (var session in _sessions.Values)
        {
            session.Drain();
        }

        _ = Task.Delay(_drainTimeout).ContinueWith(_ =>
        {
            foreach (var session in _sessions.Values)
            {
                session.Abort();
            }
        }, TaskScheduler.Default);
    }

    private static string? ApiKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }

    [LoggerMessage(1310, LogLevel.Warning, "model {Reason}")]
    private static partial void LogBackendFellBack(ILogger log, string reason);
}
