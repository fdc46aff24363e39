using System.Diagnostics;
using System.Globalization;
using Svod.Gpu.Cuda;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>The measuring loop of <c>svod bench</c>: lanes stream their utterances in chunks, every call timed.</summary>
internal static class BenchRun
{
    /// <param name="Backend">cpu, cuda or auto (<see cref="DecoderBackends"/>).</param>
    public sealed record Settings(int[] Batches, double Seconds, int MaxFramesPerCall, bool Json,
        string Backend = DecoderBackends.Cpu);

    public sealed record Workload(string Name, RnntModel Model, IReadOnlyList<float[]> Utterances);

    public static void Report(double sgemmGflops, bool json)
    {
        Console.Out.WriteLine(json
            ? JsonLines.Write(w =>
            {
                w.WriteString("impl", "sgemm-svod");
                w.WriteNumber("threads", 1);
                w.WriteNumber("gflops", Math.Round(sgemmGflops, 1));
            })
            : string.Create(CultureInfo.InvariantCulture,
                $"single-core SGEMM (svod kernel, 256x1024x1024): {sgemmGflops:F1} GFLOP/s"));
    }

    /// <param name="sgemmGflops">this core's SGEMM rate for the %SGEMM column; 0 leaves it out (a GPU).</param>
    public static void Measure(Workload workload, Settings settings, double sgemmGflops, CancellationToken cancel)
    {
        var dims = workload.Model.Dims;
        if (!settings.Json)
        {
            Console.Out.WriteLine();
            Console.Out.WriteLine($"{workload.Name}: AdvanceDecoding, 1 thread, {settings.MaxFramesPerCall} frames per lane per call, " +
                $"backend {settings.Backend}");
            Console.Out.WriteLine(
                "  batch     frames/s        RTFx   us/call  tok/frame  GFLOP/s  %SGEMM   pack  encoder  joint  predictor  read" +
                "  device B/channel");
        }

        foreach (var batch in settings.Batches)
        {
            using var backend = BackendOptions.Create(settings.Backend, 1, workload.Model, batch,
                settings.MaxFramesPerCall)[0];
            var deviceBytes = (backend as CudaDecoderBackend)?.DeviceBytesPerChannel ?? 0;
            RunRounds(backend, workload.Utterances, 0, 1, cancel); // warm-up: JIT, caches, page faults
            var stats = default(DecodeCallStats);
            var calls = 0L;
            var clock = Stopwatch.StartNew();
            var round = 1;
            do
            {
                var (s, c) = RunRounds(backend, workload.Utterances, round++, 1, cancel);
                stats.Add(s);
                calls += c;
            }
            while (clock.Elapsed.TotalSeconds < settings.Seconds);

            var seconds = DecodeCallStats.Seconds(stats.TotalTicks);
            var rate = stats.Frames / seconds;
            var flops = Flops(dims, stats);
            var gflops = flops / seconds / 1e9;
            var tokensPerFrame = (double)stats.Emissions / stats.Frames;
            double Share(long ticks) => 100.0 * ticks / stats.TotalTicks;
            if (settings.Json)
            {
                Console.Out.WriteLine(JsonLines.Write(w =>
                {
                    w.WriteString("impl", $"svod-{backend.Name}");
                    w.WriteString("workload", workload.Name);
                    w.WriteString("model", workload.Name);
                    w.WriteNumber("threads", 1);
                    w.WriteNumber("batch", batch);
                    w.WriteNumber("lanes", batch);
                    w.WriteNumber("frames", stats.Frames);
                    w.WriteNumber("seconds", Math.Round(seconds, 4));
                    w.WriteNumber("frames_per_s", Math.Round(rate, 1));
                    w.WriteNumber("tokens_per_frame", Math.Round(tokensPerFrame, 4));
                    w.WriteNumber("us_per_call", Math.Round(seconds / calls * 1e6, 2));
                    w.WriteNumber("call_ms", Math.Round(seconds / calls * 1e3, 3));
                    w.WriteNumber("rtfx", Math.Round(rate * 0.04, 1));
                    if (deviceBytes > 0)
                    {
                        w.WriteNumber("gpu_bytes_per_channel", deviceBytes);
                    }

                    w.WriteNumber("gflops", Math.Round(gflops, 2));
                    if (sgemmGflops > 0)
                    {
                        w.WriteNumber("sgemm_gflops", Math.Round(sgemmGflops, 1));
                    }

                    w.WriteNumber("pack_pct", Math.Round(Share(stats.PackTicks), 1));
                    w.WriteNumber("encoder_pct", Math.Round(Share(stats.EncoderTicks), 1));
                    w.WriteNumber("joint_pct", Math.Round(Share(stats.JointTicks), 1));
                    w.WriteNumber("predictor_pct", Math.Round(Share(stats.PredictorTicks), 1));
                    w.WriteNumber("read_pct", Math.Round(Share(stats.ReadTicks), 1));
                }));
            }
            else
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {batch,5} {rate,12:N0} {rate * 0.04,11:N0} {seconds / calls * 1e6,9:N1} {tokensPerFrame,10:F3} " +
                    $"{gflops,8:F1} {(sgemmGflops > 0 ? 100 * gflops / sgemmGflops : 0),6:F1}% {Share(stats.PackTicks),5:F1}% " +
                    $"{Share(stats.EncoderTicks),7:F1}% {Share(stats.JointTicks),5:F1}% " +
                    $"{Share(stats.PredictorTicks),9:F1}% {Share(stats.ReadTicks),4:F1}% {DeviceColumn(deviceBytes)}"));
            }
        }
    }

    private static string DeviceColumn(long bytes) =>
        bytes > 0 ? bytes.ToString("N0", CultureInfo.InvariantCulture).PadLeft(17) : "";

    /// <summary>Every lane streams one utterance to its end in chunks of the backend's frames per call.</summary>
    private static (DecodeCallStats Stats, long Calls) RunRounds(
        IDecoderBackend backend, IReadOnlyList<float[]> pool, int round, int rounds, CancellationToken cancel)
    {
        var lanes = backend.NumLanes;
        var d = backend.Dims.EncoderDim;
        var requests = new DecodeRequest[lanes];
        var offsets = new int[lanes];
        var result = backend.CreateResult();
        var stats = default(DecodeCallStats);
        var calls = 0L;
        var channels = Enumerable.Range(0, lanes).ToArray();
        for (var r = 0; r < rounds; r++)
        {
            cancel.ThrowIfCancellationRequested();
            backend.InitDecoding(channels);
            Array.Clear(offsets);
            var utterance = channels.Select(l => pool[(l + (round + r) * lanes) % pool.Count]).ToArray();
            while (true)
            {
                var count = 0;
                for (var l = 0; l < lanes; l++)
                {
                    if (offsets[l] * d < utterance[l].Length)
                    {
                        requests[count++] = new DecodeRequest(l, utterance[l].AsMemory(offsets[l] * d));
                    }
                }

                if (count == 0)
                {
                    break;
                }

                backend.AdvanceDecoding(requests.AsSpan(0, count), result);
                calls++;
                stats.Add(result.Stats);
                for (var i = 0; i < count; i++)
                {
                    offsets[result.Channel(i)] += result.FramesConsumed(i);
                }
            }
        }

        return (stats, calls);
    }

    /// <summary>Multiply-adds ×2 the decode did: encoder projection per frame, joint per step, LSTM and predictor
    /// projection per emission (table lookups and element-wise work not counted).</summary>
    private static double Flops(RnntDims dims, in DecodeCallStats stats)
    {
        double h = dims.PredHidden, j = dims.JointHidden;
        var lstm = 4 * h * h + (dims.PredLayers - 1) * 8 * h * h;
        return 2 * (stats.Frames * (double)dims.EncoderDim * j + stats.JointRows * j * dims.NumClasses +
            stats.Emissions * (lstm + j * h));
    }
}
