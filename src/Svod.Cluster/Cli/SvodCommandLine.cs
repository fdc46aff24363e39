using System.CommandLine;
using System.Runtime.InteropServices;

namespace Svod.Cluster.Cli;

/// <summary>The <c>svod</c> command: its subcommands and the one place errors become exit codes.</summary>
internal static class SvodCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Svod: streaming RNN-T decoding. Run nodes and clusters that decode streamed encoder frames batched " +
            "through AdvanceDecoding, stream to them, watch and steer a cluster, decode files offline, make the " +
            "synthetic demo model and its frames, measure throughput, show the configuration.");
        var config = new ConfigOptions();
        config.AddTo(root);
        root.Subcommands.Add(DemoCommand.Create(config));
        root.Subcommands.Add(DecodeCommand.Create(config));
        root.Subcommands.Add(ModelCommand.Create(config));
        root.Subcommands.Add(FramesCommand.Create(config));
        root.Subcommands.Add(BenchCommand.Create(config));
        root.Subcommands.Add(GpuCheckCommand.Create(config));
        root.Subcommands.Add(ConfigCommand.Create(config));
        root.Subcommands.Add(NodeCommand.Create(config));
        root.Subcommands.Add(TranscribeCommand.Create(config));
        root.Subcommands.Add(ClusterCommand.Create(config));
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        // Ctrl+C and SIGTERM cancel the command's token, and the command decides how to end: offline commands stop
        // with exit code 130, a node drains its utterances and exits 0. Nothing cuts a drain short.
        using var cancellation = new CancellationTokenSource();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);

        try
        {
            var configuration = new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return await Build().Parse(args).InvokeAsync(configuration, cancellation.Token);
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"svod: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("svod: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            // A bug, not bad input: say so in one line, then the details for the report.
            await Console.Error.WriteLineAsync($"svod: internal error: {e.GetType().Name}: {e.Message}");
            await Console.Error.WriteLineAsync(e.ToString());
            return ExitCodes.InternalError;
        }

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true; // not the runtime's default (exit at once): the command ends itself
            cancellation.Cancel();
        }
    }
}
