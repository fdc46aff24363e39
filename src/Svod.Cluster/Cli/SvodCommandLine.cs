using System.CommandLine;

namespace Svod.Cluster.Cli;

/// <summary>The <c>svod</c> command: its subcommands and the one place errors become exit codes.</summary>
internal static class SvodCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Svod: streaming RNN-T decoding. Decode encoder frames batched through AdvanceDecoding, make the " +
            "synthetic demo model and its frames, measure throughput, show the configuration.");
        var config = new ConfigOptions();
        config.AddTo(root);
        root.Subcommands.Add(DemoCommand.Create(config));
        root.Subcommands.Add(DecodeCommand.Create(config));
        root.Subcommands.Add(ModelCommand.Create(config));
        root.Subcommands.Add(FramesCommand.Create(config));
        root.Subcommands.Add(BenchCommand.Create(config));
        root.Subcommands.Add(ConfigCommand.Create(config));
        root.Subcommands.Add(NodeCommand.Create(config));
        root.Subcommands.Add(TranscribeCommand.Create(config));
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
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
    }
}
