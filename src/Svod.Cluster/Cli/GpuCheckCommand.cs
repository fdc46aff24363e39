using System.CommandLine;
using System.Globalization;
using Svod.Gpu.Cuda;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>
/// <c>svod gpu-check</c>: what a GPU machine needs to show about the cuda backend, in one self-contained run (the GPU
/// machines have no .NET: publish svod self-contained and carry it there, tools/gpu/README.md). Prints the device,
/// runs the equivalence suite (the cuda backend token for token against the cpu backend) and, unless it failed, the
/// benchmark table of <c>svod bench --backend cuda</c> at the lane counts given.
/// </summary>
internal static class GpuCheckCommand
{
    public static Command Create(ConfigOptions config)
    {
        var model = new Option<string?>("--model")
        {
            Description = ModelSource.Help + " Benchmark this model (with --frames) instead of random GigaAM-size ones.",
        };
        var frames = new Option<string[]>("--frames")
        {
            Description = FrameInputs.Help + " Default: random N(0,1) frames.",
            AllowMultipleArgumentsPerToken = true,
        };
        var lanes = new Option<int[]>("--lanes")
        {
            Description = "Lane counts (lanes per AdvanceDecoding call) of the benchmark, comma-separated.",
            DefaultValueFactory = _ => [64, 256, 1024, 4096],
            CustomParser = BenchCommand.ParseList,
        };
        var seconds = new Option<double>("--seconds")
        {
            Description = "Measuring time per lane count.",
            DefaultValueFactory = _ => 3.0,
        };
        var maxFramesPerCall = CliOptions.PositiveInt("--max-frames-per-call",
            "Frames each lane gets per AdvanceDecoding call in the benchmark.", 64);
        var device = new Option<int>("--device") { Description = "CUDA device ordinal.", DefaultValueFactory = _ => 0 };
        var skipBench = new Option<bool>("--equivalence-only") { Description = "Run the equivalence suite only." };
        var json = new Option<bool>("--json")
        {
            Description = "One JSON line per measurement on stdout: the device, each equivalence case, then " +
                "{impl, model, lanes, frames_per_s, rtfx, call_ms, gpu_bytes_per_channel, ...} per lane count.",
        };
        var command = new Command("gpu-check",
            "Check the cuda backend on this machine: device information, the equivalence suite (token for token " +
            "against the cpu backend on random models, over lane counts, chunkings and saved and loaded state) and the " +
            "benchmark table. Exit code 0 when every case matches, 1 when one does not, 69 without a usable CUDA " +
            "device.");
        foreach (var o in new Option[] { model, frames, lanes, seconds, maxFramesPerCall, device, skipBench, json })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, cancellationToken) =>
        {
            var settings = config.Load(parse);
            var asJson = parse.GetValue(json);
            if (!CudaRuntime.TryInitialize(out var reason))
            {
                Console.Error.WriteLine($"svod: {reason}");
                return Task.FromResult(ExitCodes.Unavailable);
            }

            var ordinal = parse.GetValue(device);
            using (var context = CudaContext.Create(ordinal))
            {
                ReportDevice(context, asJson);
            }

            var cuda = new CudaBackendOptions { Device = ordinal };
            var matched = GpuEquivalence.Run(cuda, asJson, cancellationToken);
            if (!matched)
            {
                return Task.FromResult(ExitCodes.SomeFailed);
            }

            if (!parse.GetValue(skipBench))
            {
                var bench = new BenchRun.Settings(parse.GetValue(lanes)!, parse.GetValue(seconds),
                    parse.GetValue(maxFramesPerCall), asJson, Svod.Gpu.Decoding.DecoderBackends.Cuda);
                foreach (var workload in BenchCommand.Workloads(parse.GetValue(model), parse.GetValue(frames) ?? [],
                             "all", 0.5, 128, 0, asJson, settings))
                {
                    BenchRun.Measure(workload, bench, 0, cancellationToken);
                }
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static void ReportDevice(CudaContext context, bool json)
    {
        var (major, minor) = context.ComputeCapability;
        var (free, total) = context.MemoryInfo();
        if (json)
        {
            Console.Out.WriteLine(JsonLines.Write(w =>
            {
                w.WriteString("device", context.Name);
                w.WriteString("compute_capability", $"{major}.{minor}");
                w.WriteNumber("multiprocessors", context.MultiprocessorCount);
                w.WriteNumber("memory_total_bytes", total);
                w.WriteNumber("memory_free_bytes", free);
                w.WriteString("driver", CudaRuntime.DriverVersion);
            }));
        }
        else
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"device {context.Name}: compute capability {major}.{minor}, {context.MultiprocessorCount} SMs, " +
                $"{total / (1L << 30)} GiB ({free / (1L << 30)} GiB free), driver {CudaRuntime.DriverVersion}"));
        }
    }
}
