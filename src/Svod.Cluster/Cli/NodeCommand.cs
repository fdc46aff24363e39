using System.CommandLine;
using Microsoft.Extensions.Logging;
using Svod.Cluster.Node;
using Svod.Cluster.Persistence;
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
            "get partial and final transcripts; /healthz and /readyz for orchestration. SIGTERM or Ctrl+C stops it " +
            "gracefully: open utterances run to their finals (svod.node.drain-timeout), then it exits 0.");
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

            NodeHost created;
            var directory = Path.GetFullPath(settings.Options.Persistence.Directory);
            try
            {
                // Alone (no PostgreSQL), the node keeps its snapshots in a local log: restarted, it resumes them.
                created = new NodeHost(settings, served, logs => FileSnapshotStore.Open(directory,
                    logs?.CreateLogger<FileSnapshotStore>()));
            }
            catch (Configuration.ConfigurationException e)
            {
                throw new CliException(e.Message);
            }
            catch (IOException e)
            {
                throw new CliException($"svod.persistence.directory {directory}: {e.Message}");
            }

            await using var node = created;
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
            await node.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }
}
