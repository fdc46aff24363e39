using System.CommandLine;
using Microsoft.Extensions.Logging;
using Svod.Cluster.Node;
using Svod.Cluster.Configuration;
using Svod.Cluster.Persistence;
using Svod.Gpu.Cuda;
using Svod.Gpu.Demo;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary><c>svod node</c>: the streaming node.</summary>
internal static class NodeCommand
{
    public static Command Create(ConfigOptions config)
    {
        var urls = new Option<string?>("--urls")
        {
            Description = "Where to listen (Kestrel URLs, semicolon-separated). Default: svod.node.urls from the configuration.",
        };
        var models = new Option<string[]>("--model")
        {
            Description = "Serve a model directory under a name: --model NAME=DIR; repeatable. The synthetic 'demo' " +
                "model is always served.",
        };
        var command = new Command("node",
            "Run a streaming node: clients stream encoder frames over WebSockets (binary protobuf, /v1/stream) and " +
            "get partial and final transcripts; /healthz and /readyz for orchestration. Alone it keeps snapshots in " +
            "svod.persistence.directory and resumes them after a restart; with svod.cluster.postgres it joins a cluster " +
            "(docs/cluster.md). SIGTERM or Ctrl+C stops it gracefully: a cluster member hands its shards off, a node " +
            "alone lets open utterances run to their finals (svod.node.drain-timeout); then it exits 0.");
        command.Options.Add(urls);
        command.Options.Add(models);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = config.Load(parse);
            if (parse.GetValue(urls) is { } given)
            {
                settings.Options.Node.Urls = given;
            }

            var served = new Dictionary<string, RnntModel>(StringComparer.Ordinal) { [DemoModel.Name] = DemoModel.Create() };
            foreach (var spec in parse.GetValue(models) ?? [])
            {
                var at = spec.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0 || at == spec.Length - 1)
                {
                    throw new CliException($"--model {spec}: expected NAME=DIR");
                }

                served[spec[..at]] = ModelSource.Load(spec[(at + 1)..], settings);
            }

            return settings.Options.Cluster.Postgres.Length == 0
                ? await RunAloneAsync(settings, served, cancellationToken)
                : await RunInClusterAsync(settings, served, cancellationToken);
        });
        return command;
    }

    /// <summary>No PostgreSQL: the node owns every shard and keeps its snapshots in a local log, from which a restart
    /// resumes them.</summary>
    private static async Task<int> RunAloneAsync(SvodSettings settings, Dictionary<string, RnntModel> served,
        CancellationToken cancellationToken)
    {
        var directory = Path.GetFullPath(settings.Options.Persistence.Directory);
        await using var node = Create(settings, () => new NodeHost(settings, served,
            logs => FileSnapshotStore.Open(directory, logs?.CreateLogger<FileSnapshotStore>(),
                abandonedAfter: settings.Options.Persistence.FinalRetention)), directory);
        await ListenAsync(node, settings, served, cancellationToken);
        await node.WaitForShutdownAsync(cancellationToken);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// A member of a cluster: joins once it listens; on SIGTERM, Ctrl+C or <c>svod cluster leave</c> it leaves
    /// gracefully (its shards are handed off with their snapshots), then drains its connections and exits 0.
    /// </summary>
    private static async Task<int> RunInClusterAsync(SvodSettings settings, Dictionary<string, RnntModel> served,
        CancellationToken cancellationToken)
    {
        var options = settings.Options;
        options.Cluster.Advertise = Advertised(options);
        var nodeId = options.Cluster.NodeId.Length > 0 ? options.Cluster.NodeId : new Uri(options.Cluster.Advertise).Authority;
        options.Cluster.NodeId = nodeId;
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        ClusterNode opened;
        try
        {
            opened = await ClusterNode.OpenAsync(options.Cluster, nodeId, options.Cluster.Advertise, logs,
                cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or ArgumentException or InvalidOperationException)
        {
            throw new CliException($"svod.cluster.postgres: cannot use the cluster database: {e.Message}");
        }

        await using var cluster = opened;
        await using var node = Create(settings, () => new NodeHost(settings, served, _ => cluster.CreateStore(options.Persistence.FinalRetention),
            cluster, cluster), null);
        await ListenAsync(node, settings, served, cancellationToken);
        try
        {
            await cluster.StartAsync(node, cancellationToken);
        }
        catch (ConfigurationException e)
        {
            throw new CliException(e.Message);
        }

        Console.Out.WriteLine($"svod node {nodeId} joined the cluster as {options.Cluster.Advertise}");
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = cancellationToken.Register(() => stop.TrySetResult());
        var why = await Task.WhenAny(stop.Task, cluster.LeaveRequested);
        Console.Out.WriteLine(why == stop.Task
            ? $"svod node {nodeId} leaving the cluster"
            : $"svod node {nodeId} leaving the cluster: {await cluster.LeaveRequested}");
        await cluster.LeaveAsync(options.Cluster.HandoffTimeout + options.Cluster.FailureTimeout);
        if (cluster.MembershipLost)
        {
            // Not a bug but not a clean stop either: whoever runs the node should start it again.
            throw new CliException($"node {nodeId} stopped serving: its member row was taken away (marked down, " +
                "or another process joined with its node id); start it again to rejoin the cluster",
                ExitCodes.MembershipLost);
        }

        return ExitCodes.Ok;
    }

    private static NodeHost Create(SvodSettings settings, Func<NodeHost> create, string? directory)
    {
        try
        {
            return create();
        }
        catch (ConfigurationException e)
        {
            throw new CliException(e.Message);
        }
        catch (Exception e) when (e is CudaUnavailableException or CudaException)
        {
            throw new CliException($"svod.decoding.backend = {settings.Options.Decoding.Backend}: {e.Message}",
                ExitCodes.Unavailable);
        }
        catch (IOException e) when (directory is not null)
        {
            throw new CliException($"svod.persistence.directory {directory}: {e.Message}");
        }
    }

    private static async Task ListenAsync(NodeHost node, SvodSettings settings, Dictionary<string, RnntModel> served,
        CancellationToken cancellationToken)
    {
        try
        {
            await node.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new CliException($"cannot listen on {settings.Options.Node.Urls}: {e.Message}");
        }

        Console.Out.WriteLine($"svod node listening on {string.Join(", ", node.Urls)} " +
            $"(models: {string.Join(", ", served.Keys.Order())})");
    }

    /// <summary>The stream URL clients reach this node at: <c>svod.cluster.advertise</c>, else the first URL it
    /// listens on, which must then name a host and a port.</summary>
    private static string Advertised(SvodOptions options)
    {
        if (options.Cluster.Advertise.Length > 0)
        {
            return ServerOptions.StreamUri(options.Cluster.Advertise).ToString();
        }

        var first = options.Node.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries)[0];
        if (!Uri.TryCreate(first.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0",
                StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Host is "0.0.0.0" or "[::]" || uri.Port == 0)
        {
            throw new CliException(
                $"svod.cluster.advertise is empty and {first} names no host and port clients can reach: set " +
                "svod.cluster.advertise (e.g. ws://10.0.0.5:5080) or listen on a concrete address");
        }

        return ServerOptions.StreamUri(first).ToString();
    }
}
