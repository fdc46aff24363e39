using System.Collections.Concurrent;
using System.Diagnostics;
using Svod.Client;
using Svod.Client.Protocol;

namespace Svod.Cluster.Cli;

/// <summary>
/// <c>svod bench --server</c>: N concurrent streams against a node for a duration. Token latency is the time from
/// sending the chunk that holds a token's frame to receiving the partial that carries the token; final latency the
/// time from Finalize to the final. Every final is checked against its expected text.
/// </summary>
internal sealed class LoadRun(SvodClient[] clients, string model, IReadOnlyList<LoadRun.Utterance> utterances,
    int chunkFrames, bool realtime)
{
    private readonly ConcurrentBag<double> _tokenLatencies = [];
    private readonly ConcurrentBag<double> _finalLatencies = [];
    private long _frames;
    private int _errors;
    private int _ok;
    private int _total;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private int _sequence;

    public sealed record Utterance(float[] Frames, string ExpectedText);

    public sealed record Report(int Streams, double Seconds, double FramesPerSecond, double[] TokenMs, double[] FinalMs,
        int Errors, int TranscriptsOk, int TranscriptsTotal, IReadOnlyList<string> FirstErrors);

    private readonly ConcurrentQueue<string> _errorTexts = new();

    public async Task<Report> RunAsync(int streams, TimeSpan duration, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, streams).Select(s => Task.Run(async () =>
        {
            var random = new Random(s);
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                await StreamOneAsync(clients[s % clients.Length], utterances[random.Next(utterances.Count)],
                    cancellationToken);
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        return new Report(streams, seconds, _frames / seconds, Percentiles(_tokenLatencies), Percentiles(_finalLatencies),
            _errors, _ok, _total, [.. _errorTexts.Take(5)]);
    }

    private async Task StreamOneAsync(SvodClient client, Utterance utterance, CancellationToken cancellationToken)
    {
        // Unique across runs too: a node resumes or forgets what it keeps under an id, and a reused one is a new utterance.
        var id = $"load-{_run}-{Interlocked.Increment(ref _sequence)}";
        try
        {
            var stream = await client.StartAsync(id, model, cancellationToken: cancellationToken);
            var width = stream.FrameWidth;
            var frameCount = utterance.Frames.Length / width;
            var sentAt = new long[frameCount];
            var sending = stream.StreamAsync(utterance.Frames, chunkFrames, realtime ? 1 : 0,
                (offset, n) => Array.Fill(sentAt, Stopwatch.GetTimestamp(), offset, n), cancellationToken);

            Result? final = null;
            var seen = 0;
            await foreach (var result in stream.Results.WithCancellation(cancellationToken))
            {
                var now = Stopwatch.GetTimestamp();
                if (result.IsFinal)
                {
                    final = result;
                    _finalLatencies.Add(Stopwatch.GetElapsedTime(await sending, now).TotalMilliseconds);
                    continue;
                }

                for (var i = seen; i < result.TokenFrames.Count; i++)
                {
                    _tokenLatencies.Add(Stopwatch.GetElapsedTime(sentAt[result.TokenFrames[i]], now).TotalMilliseconds);
                }

                seen = result.TokenFrames.Count;
            }

            await sending;
            Interlocked.Add(ref _frames, frameCount);
            Interlocked.Increment(ref _total);
            if (final?.Text == utterance.ExpectedText)
            {
                Interlocked.Increment(ref _ok);
            }
        }
        catch (SvodException e)
        {
            Interlocked.Increment(ref _errors);
            _errorTexts.Enqueue(e.Message);
        }
    }

    /// <summary>p50, p95, p99 and the maximum in milliseconds (NaN when nothing was measured). The maximum is what
    /// a failover costs the unluckiest utterance.</summary>
    private static double[] Percentiles(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0
            ? [double.NaN, double.NaN, double.NaN, double.NaN]
            : [.. new[] { 0.50, 0.95, 0.99 }.Select(p => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))]),
                sorted[^1]];
    }
}
