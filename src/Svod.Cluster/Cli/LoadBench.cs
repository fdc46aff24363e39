using System.Globalization;
using System.Text.Json;
using Svod.Client;
using Svod.Client.Protocol;
using Svod.Gpu.Demo;

namespace Svod.Cluster.Cli;

/// <summary>Prepares and reports <c>svod bench --server</c> (see <see cref="LoadRun"/>).</summary>
internal static class LoadBench
{
    private static readonly string[] Words =
        ["lanes", "channels", "stream", "node", "hello", "svod", "decode", "frame", "batch", "utterance"];

    public sealed record Settings(IReadOnlyList<Uri> Servers, string Model, SvodClientOptions Client, int Streams, TimeSpan Duration, bool Realtime,
        int ChunkFrames, int Connections, string[] Frames, string? Expected, bool Json, int IdleStreams = 0);

    public static async Task<int> RunAsync(Settings settings, CancellationToken cancellationToken)
    {
        var utterances = settings.Frames.Length > 0 ? FromFiles(settings) : Synthesized();
        var clients = new SvodClient[settings.Connections];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = await ServerOptions.ConnectAsync(settings.Servers, settings.Client, cancellationToken);
        }

        try
        {
            if (settings.IdleStreams > 0)
            {
                await new ChannelMemory(settings, clients, utterances).MeasureAsync(cancellationToken);
                return ExitCodes.Ok;
            }

            var (pause, gen2, allocated) = (GC.GetTotalPauseDuration(), GC.CollectionCount(2), GC.GetTotalAllocatedBytes());
            var report = await new LoadRun(clients, settings.Model, utterances, settings.ChunkFrames, settings.Realtime)
                .RunAsync(settings.Streams, settings.Duration, cancellationToken);
            Print(report, settings, new GcCost(GC.GetTotalPauseDuration() - pause, GC.CollectionCount(2) - gen2,
                GC.GetTotalAllocatedBytes() - allocated, GC.GetGCMemoryInfo().HeapSizeBytes));
            return report.Errors == 0 && report.TranscriptsOk == report.TranscriptsTotal ? ExitCodes.Ok : ExitCodes.SomeFailed;
        }
        finally
        {
            foreach (var client in clients.Where(c => c is not null))
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>The load generator's own garbage collections during the run: it shares the machine with the node.
    /// </summary>
    private readonly record struct GcCost(TimeSpan Pause, int Gen2, long Allocated, long Heap);

    private static void Print(LoadRun.Report r, Settings s, GcCost gc)
    {
        foreach (var e in r.FirstErrors)
        {
            Console.Error.WriteLine($"svod: stream error: {e}");
        }

        if (!s.Json)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Streams} streams ({(s.Realtime ? "real time" : "as fast as possible")}, {s.ChunkFrames} frames per " +
                $"message, {s.Connections} connections) for {r.Seconds:F1} s against {string.Join(", ", s.Servers)}, model {s.Model}"));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  frames/s {r.FramesPerSecond:N0} ({r.FramesPerSecond * 0.04:N1}x real time at 40 ms frames)"));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  token latency ms  p50 {r.TokenMs[0]:F1}  p95 {r.TokenMs[1]:F1}  p99 {r.TokenMs[2]:F1}  max {r.TokenMs[3]:F1}"));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  final latency ms  p50 {r.FinalMs[0]:F1}  p95 {r.FinalMs[1]:F1}  p99 {r.FinalMs[2]:F1}  max {r.FinalMs[3]:F1}"));
            Console.Out.WriteLine($"  errors {r.Errors}, transcripts {r.TranscriptsOk}/{r.TranscriptsTotal} as expected");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  load generator GC: {gc.Pause.TotalMilliseconds:F0} ms paused, {gc.Gen2} gen2 collections, ") +
                string.Create(CultureInfo.InvariantCulture,
                $"{gc.Allocated / r.Seconds / 1e6:F0} MB/s allocated, heap {gc.Heap / 1e6:F0} MB at the end"));
        }

        Console.Out.WriteLine(JsonLines.Write(w =>
        {
            w.WriteNumber("streams", r.Streams);
            w.WriteNumber("seconds", Math.Round(r.Seconds, 3));
            w.WriteNumber("frames_per_s", Math.Round(r.FramesPerSecond, 1));
            Number(w, "partial_p50_ms", r.TokenMs[0]);
            Number(w, "partial_p95_ms", r.TokenMs[1]);
            Number(w, "partial_p99_ms", r.TokenMs[2]);
            Number(w, "final_p50_ms", r.FinalMs[0]);
            Number(w, "final_p99_ms", r.FinalMs[2]);
            Number(w, "partial_max_ms", r.TokenMs[3]);
            Number(w, "final_max_ms", r.FinalMs[3]);
            w.WriteNumber("errors", r.Errors);
            w.WriteNumber("transcripts_ok", r.TranscriptsOk);
            w.WriteNumber("transcripts_total", r.TranscriptsTotal);
            w.WriteNumber("generator_gc_pause_ms", Math.Round(gc.Pause.TotalMilliseconds, 1));
            w.WriteNumber("generator_gen2", gc.Gen2);
            w.WriteNumber("generator_alloc_mb_per_s", Math.Round(gc.Allocated / r.Seconds / 1e6, 1));
            w.WriteNumber("generator_heap_mb", Math.Round(gc.Heap / 1e6, 1));
        }));

        static void Number(Utf8JsonWriter w, string name, double value)
        {
            if (double.IsNaN(value))
            {
                w.WriteNull(name);
            }
            else
            {
                w.WriteNumber(name, Math.Round(value, 2));
            }
        }
    }

    /// <summary>Sentences through the demo model's synthetic encoder; the expected text is the sentence.</summary>
    internal static LoadRun.Utterance[] Synthesized()
    {
        var encoder = new SyntheticEncoder(DemoModel.Create());
        var random = new Random(11);
        return [.. Enumerable.Range(0, 64).Select(i =>
        {
            var text = string.Join(' ', Enumerable.Range(0, random.Next(3, 9)).Select(_ => Words[random.Next(Words.Length)]));
            return new LoadRun.Utterance(encoder.Encode(text, silenceFrames: 2, noise: 0.03f, seed: i), text);
        })];
    }

    /// <summary>.npy files with the text each should give, from a <c>svod decode --json</c> output.</summary>
    private static LoadRun.Utterance[] FromFiles(Settings settings)
    {
        if (settings.Expected is null || !File.Exists(settings.Expected))
        {
            throw new CliException("--frames needs --expected FILE.jsonl (the output of 'svod decode --json' on them)");
        }

        var expected = File.ReadLines(settings.Expected).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("utterance").GetString()!, e => e.GetProperty("text").GetString()!);
        var utterances = new List<LoadRun.Utterance>();
        foreach (var input in FrameInputs.Expand(settings.Frames))
        {
            var (matrix, error) = FrameInputs.TryRead(input, width: null);
            if (matrix is null)
            {
                throw new CliException(error!);
            }

            if (!expected.TryGetValue(input.Name, out var text))
            {
                throw new CliException($"{settings.Expected}: no line for utterance '{input.Name}'");
            }

            utterances.Add(new LoadRun.Utterance(matrix.Data, text));
        }

        return [.. utterances];
    }
}
