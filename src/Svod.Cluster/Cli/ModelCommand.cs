using System.CommandLine;
using Svod.Gpu.Demo;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary><c>svod model</c>: model directories (for now: writing the synthetic demo model).</summary>
internal static class ModelCommand
{
    public static Command Create(ConfigOptions config)
    {
        var output = new Option<string>("--out") { Description = "Directory to write (created if missing).", Required = true };
        var dtype = new Option<string>("--dtype")
        {
            Description = "Tensor type in model.safetensors: f32, f16 or bf16.",
            DefaultValueFactory = _ => "f32",
        };
        dtype.AcceptOnlyFromAmong("f32", "f16", "bf16");
        var demo = new Command("demo",
            "Write the synthetic demo model (a constructed character RNN-T, not trained: it decodes the frames of " +
            "'svod frames' back to their text) as a standard model directory.");
        demo.Options.Add(output);
        demo.Options.Add(dtype);
        demo.SetAction(parse =>
        {
            _ = config.Load(parse); // an invalid --config fails every command the same way
            var directory = parse.GetValue(output)!;
            var type = parse.GetValue(dtype) switch
            {
                "f16" => TensorDType.F16,
                "bf16" => TensorDType.BF16,
                _ => TensorDType.F32,
            };
            try
            {
                ModelDirectory.Save(DemoModel.Create(), directory, type);
            }
            catch (IOException e)
            {
                throw new CliException($"{directory}: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                throw new CliException($"{directory}: {e.Message}");
            }

            Console.Out.WriteLine($"wrote the synthetic demo model to {Path.GetFullPath(directory)}");
            return ExitCodes.Ok;
        });
        var command = new Command("model", "Model directories: write the synthetic demo model.");
        command.Subcommands.Add(demo);
        return command;
    }
}
