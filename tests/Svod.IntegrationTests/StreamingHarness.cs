using System.Diagnostics;
using System.Text.Json;
using Svod.Client;
using Svod.Client.Protocol;
using Svod.Gpu.Demo;
using Svod.Gpu.Formats;

namespace Svod.IntegrationTests;

/// <summary>What the streaming tests share: demo-model utterances with their offline transcripts, sending in chunks,
/// waiting with a phase in the message, and <see cref="Watch"/> (what the application sees of one utterance).</summary>
internal static class StreamingHarness
{
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly int Width = DemoModel.Dims.EncoderDim;
    private static readonly string[] Words = ["lanes", "channels", "stream", "node", "hello", "svod", "decode", "frame"];

    internal sealed record Utterance(string Id, float[] Frames);

    /// <summary>Utterances of a few words, written as .npy, and what <c>svod decode --json</c> makes of each.</summary>
    internal static async Task<(Utterance[] Utterances, Dictionary<string, JsonElement> Expected)> PrepareAsync(
        TempDirectory dir, int count, int seed)
    {
        var encoder = new SyntheticEncoder(DemoModel.Create());
        var random = new Random(seed);
        var utterances = Enumerable.Range(0, count).Select(i =>
        {
            var text = string.Join(' ',
                Enumerable.Range(0, random.Next(2, 6)).Select(_ => Words[random.Next(Words.Length)]));
            var frames = encoder.Encode(text, silenceFrames: random.Next(0, 3), noise: 0.05f, seed: seed * 1000 + i);
            Npy.WriteFrames(dir[$"r{i:D2}.npy"], frames, frames.Length / Width, Width);
            return new Utterance($"r{i:D2}", frames);
        }).ToArray();
        var offline = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", dir.Path, "--json");
        Assert.True(offline.ExitCode == 0, offline.ToString());
        var expected = offline.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("utterance").GetString()!);
        return (utterances, expected);
    }

    internal static int Half(Utterance u) => u.Frames.Length / Width / 2;

    /// <summary>Frames [from, to) in chunks of 3.</summary>
    internal static async Task SendAsync(UtteranceStream stream, float[] frames, int from, int to)
    {
        for (var offset = from; offset < to; offset += 3)
        {
            var n = Math.Min(3, to - offset);
            await stream.SendFramesAsync(frames.AsMemory(offset * Width, n * Width));
        }
    }

    internal static async Task FinishAsync(UtteranceStream stream, Utterance u)
    {
        await SendAsync(stream, u.Frames, (int)stream.FramesSent, u.Frames.Length / Width);
        await stream.FinalizeAsync();
    }

    internal static void AssertMatches(JsonElement want, Result final, string id)
    {
        Assert.True(want.GetProperty("text").GetString() == final.Text, $"{id}: '{final.Text}'");
        Assert.Equal(want.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()), final.Tokens);
        Assert.Equal(want.GetProperty("frames").EnumerateArray().Select(t => t.GetInt32()), final.TokenFrames);
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds; fails naming the phase after
    /// <paramref name="limit"/> (default <see cref="Patience"/>).</summary>
    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string phase, TimeSpan? limit = null)
    {
        var patience = limit ?? Patience;
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < patience, $"{phase}: not reached within {patience.TotalSeconds} s");
            await Task.Delay(20);
        }
    }


    internal static async Task Within(Task task, string phase)
    {
        try
        {
            await task.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{phase}: not done within {Patience.TotalSeconds} s");
        }
    }

    internal static async Task<T> Within<T>(Task<T> task, string phase)
    {
        await Within((Task)task, phase);
        return await task;
    }

    /// <summary>What the application sees of one utterance: it checks that partial token counts never decrease and
    /// that exactly one final arrives, and completes with that final.</summary>
    internal sealed class Watch
    {
        private readonly TaskCompletionSource _firstPartial = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Watch(UtteranceStream stream) => Final = ReadAsync(stream);

        public Task FirstPartial => _firstPartial.Task;

        public Task<Result> Final { get; }

        public static Watch Start(UtteranceStream stream) => new(stream);

        private async Task<Result> ReadAsync(UtteranceStream stream)
        {
            await Task.Yield();
            var finals = new List<Result>();
            var tokens = 0;
            try
            {
                await foreach (var result in stream.Results)
                {
                    Assert.True(result.Tokens.Count >= tokens,
                        $"{stream.UtteranceId}: {result.Tokens.Count} tokens after {tokens}");
                    tokens = result.Tokens.Count;
                    if (result.IsFinal)
                    {
                        finals.Add(result);
                    }
                    else
                    {
                        _firstPartial.TrySetResult();
                    }
                }
            }
            catch (Exception e)
            {
                _firstPartial.TrySetException(e);
                throw;
            }

            _firstPartial.TrySetException(
                new InvalidOperationException($"{stream.UtteranceId} ended without a partial"));
            return Assert.Single(finals);
        }
    }
}
