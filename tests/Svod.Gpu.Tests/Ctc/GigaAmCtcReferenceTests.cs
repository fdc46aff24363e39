using System.Globalization;
using System.Text.Json;
using Svod.Gpu.Ctc;
using Svod.Gpu.Formats;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Ctc;

/// <summary>
/// Svod's CTC model loading, head and greedy decoding against GigaAM's, as reproduced in PyTorch by
/// tools/reference/gigaam_ctc.py: a random GigaAM-layout CTC model directory, planted frames, and the torch
/// log-probs and CTCGreedyDecoding output. Tokens, their frames and the text must be identical (the script keeps
/// every top-1/top-2 gap ≥ 1e-3), log-probs within 1e-4 × max(1, |log-prob|): float32 rounding grows with the
/// magnitude — PyTorch's Conv1d adds 768 products to an accumulator that starts at the bias, so a class with a
/// −30 bias (the BPE preset's never-emitted &lt;unk&gt;/&lt;s&gt;/&lt;/s&gt;, log-probs near −37) is itself ~5e-5
/// off the exact value.
/// </summary>
public sealed class GigaAmCtcReferenceTests(ITestOutputHelper output)
{
    private const float LogProbTolerance = 1e-4f;

    [Theory]
    [InlineData("small", "f32", 12)]
    [InlineData("char", "f32", 8)]
    [InlineData("char", "bf16", 6)]
    [InlineData("bpe", "f16", 6)]
    public void Log_probs_tokens_and_frames_match_GigaAM(string preset, string dtype, int count)
    {
        if (!PyTorchReference.Available(output))
        {
            return;
        }

        var noSpm = RequiredTool.Find("spm_train") is null
            ? "spm_train is not installed (apt-get install sentencepiece)"
            : null;
        if (preset == "bpe" && RequiredTool.Skip(noSpm, output))
        {
            return;
        }

        using var dir = new TempDirectory();
        ToolRun.Check(PyTorchReference.Python, PyTorchReference.Script, "--out", dir.Path, "--preset", preset,
            "--dtype", dtype, "--utterances", count.ToString(CultureInfo.InvariantCulture), "--seed", "7");

        var model = CtcModel.Load(dir["model"]);
        var lines = File.ReadAllLines(dir["expected.jsonl"]);
        Assert.Equal(count, lines.Length);
        var tokens = 0;
        var worst = 0f;
        foreach (var line in lines)
        {
            var expected = JsonDocument.Parse(line).RootElement;
            var name = expected.GetProperty("utterance").GetString()!;
            var frames = Npy.ReadFrames(dir[$"frames/{name}.npy"], model.EncoderDim);
            var torchLogProbs = Npy.ReadFrames(dir[$"logprobs/{name}.npy"], model.Classes);
            Assert.Equal(expected.GetProperty("num_frames").GetInt32(), frames.Rows);

            var logProbs = new float[frames.Rows * model.Classes];
            model.LogProbs(frames.Data, logProbs);
            for (var i = 0; i < logProbs.Length; i++)
            {
                var difference = Math.Abs(logProbs[i] - torchLogProbs.Data[i]);
                var scaled = difference / Math.Max(1f, Math.Abs(torchLogProbs.Data[i]));
                worst = Math.Max(worst, scaled);
                Assert.True(scaled <= LogProbTolerance,
                    $"{name} frame {i / model.Classes} class {i % model.Classes}: svod {logProbs[i]} " +
                    $"torch {torchLogProbs.Data[i]}");
            }

            var (actualTokens, actualFrames) = CtcGreedy.Decode(logProbs, model.Classes, model.Blank);
            Assert.Equal(Ints(expected, "tokens"), actualTokens);
            Assert.Equal(Ints(expected, "frames"), actualFrames);
            Assert.Equal(expected.GetProperty("text").GetString(), model.Tokenizer.Decode(actualTokens));

            // Streaming in uneven chunks gives the same.
            var state = new CtcGreedyState(model.Classes, model.Blank);
            var streamed = new List<int>();
            var buffer = new int[frames.Rows];
            var bufferFrames = new int[frames.Rows];
            for (var t = 0; t < frames.Rows; t += 7)
            {
                var n = Math.Min(7, frames.Rows - t);
                var emitted = state.Advance(logProbs.AsSpan(t * model.Classes, n * model.Classes), buffer,
                    bufferFrames);
                streamed.AddRange(buffer[..emitted]);
            }

            Assert.Equal(actualTokens, streamed);
            tokens += actualTokens.Length;
        }

        Assert.True(tokens > 0, "the reference emitted no tokens at all");
        output.WriteLine($"{preset}/{dtype}: {count} utterances, {tokens} tokens identical; " +
            $"largest log-prob difference {worst:E2}, scaled by max(1, |log-prob|)");
    }

    private static int[] Ints(JsonElement element, string name) =>
        [.. element.GetProperty(name).EnumerateArray().Select(e => e.GetInt32())];
}
