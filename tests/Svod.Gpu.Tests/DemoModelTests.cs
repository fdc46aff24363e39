using Svod.Gpu.Decoding;
using Svod.Gpu.Decoding.Kernels;
using Svod.Gpu.Demo;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests;

/// <summary>The synthetic demo model decodes the synthetic encoder's frames back into their text.</summary>
public sealed class DemoModelTests(ITestOutputHelper output)
{
    private static readonly string LongSentence = PseudoRandomSentence(length: 300, seed: 7);

    private static readonly string[] Texts =
    [
        "hello world", "aaa bbb", "it's 'quoted'.", "Hello, World! Is it OK? Yes.", "", "a", "zz", "   ", "!!??..,,''",
        "abcdefghijklmnopqrstuvwxyz", LongSentence,
    ];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Decoding_synthesized_frames_gives_back_the_text(int silenceFrames)
    {
        var model = DemoModel.Create();
        var encoder = new SyntheticEncoder(model);
        var frames = Texts.Select(t => encoder.Encode(t, silenceFrames)).ToArray();

        var reference = new ReferenceDecoder(model);
        var batched = DecodeInChunks(model, frames, lanes: 4, chunk: 5);
        for (var u = 0; u < Texts.Length; u++)
        {
            var expected = SyntheticEncoder.Normalize(Texts[u]);
            var expectedFrames = Enumerable.Range(0, expected.Length).Select(i => 1 + i * (1 + silenceFrames));
            var decodings = new[] { ("reference", reference.Decode(frames[u])), ("cpu", batched[u]) };
            foreach (var (decoder, decoded) in decodings)
            {
                Assert.True(expected == model.Tokenizer.Decode(decoded.Tokens),
                    $"{decoder} on \"{Texts[u]}\": got \"{model.Tokenizer.Decode(decoded.Tokens)}\"");
                Assert.Equal(expectedFrames, decoded.TokenFrames);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Noise_up_to_0_1_does_not_change_the_transcript(int seed)
    {
        var model = DemoModel.Create();
        var encoder = new SyntheticEncoder(model);
        var reference = new ReferenceDecoder(model);
        foreach (var noise in new[] { 0.05f, 0.1f })
        {
            var frames = Texts.Select((t, u) => encoder.Encode(t, silenceFrames: 1, noise, seed * 100 + u)).ToArray();
            var batched = DecodeInChunks(model, frames, lanes: 4, chunk: 5);
            for (var u = 0; u < Texts.Length; u++)
            {
                var expected = SyntheticEncoder.Normalize(Texts[u]);
                Assert.True(expected == model.Tokenizer.Decode(reference.Decode(frames[u]).Tokens),
                    $"reference, noise {noise}, seed {seed}, \"{Texts[u]}\"");
                Assert.True(expected == model.Tokenizer.Decode(batched[u].Tokens),
                    $"cpu, noise {noise}, seed {seed}, \"{Texts[u]}\"");
            }
        }
    }

    [Fact]
    public void Every_decision_is_won_by_a_wide_margin()
    {
        var model = DemoModel.Create();
        var encoder = new SyntheticEncoder(model);
        var clean = Texts.Min(t => SmallestMargin(model, encoder.Encode(t, silenceFrames: 1)));
        var noisy = Texts.SelectMany((t, u) => Enumerable.Range(1, 5)
                .Select(seed => SmallestMargin(model, encoder.Encode(t, silenceFrames: 1, 0.1f, seed * 100 + u))))
            .Min();
        output.WriteLine($"smallest logit gap: {clean} without noise, {noisy} with noise 0.1");

        // Without noise the gap is α/2 on every joint: a character scores α against blank's α/2, blank α/2 against 0.
        Assert.InRange(clean, DemoModel.EncoderGain / 2 - 1e-3f, DemoModel.EncoderGain / 2 + 1e-3f);
        Assert.True(noisy > 0.5f, $"noise 0.1 leaves a gap of only {noisy}");
    }

    [Fact]
    public void Characters_outside_the_vocabulary_are_rejected_with_their_position()
    {
        var encoder = new SyntheticEncoder(DemoModel.Create());

        var cyrillic = Assert.Throws<ArgumentException>(() => encoder.Encode("abcЖd"));
        Assert.Contains("character 'Ж' at position 3 is not in the demo vocabulary", cyrillic.Message);
        var digit = Assert.Throws<ArgumentException>(() => encoder.Encode("A1"));
        Assert.Contains("character '1' at position 1", digit.Message);
        var emoji = Assert.Throws<ArgumentException>(() => encoder.Encode("ok 🙂"));
        Assert.Contains("character '🙂' at position 3", emoji.Message);
    }

    [Fact]
    public void A_random_model_is_not_taken_for_the_demo_model()
    {
        var sameShape = RandomModel.Create(DemoModel.Dims, seed: 1);
        var otherShape = RandomModel.Create(new RnntDims(64, 16, 1, 64, 33), seed: 2);

        Assert.False(DemoModel.IsDemo(sameShape));
        Assert.False(DemoModel.IsDemo(otherShape));
        Assert.True(DemoModel.IsDemo(DemoModel.Create()));
        var error = Assert.Throws<ArgumentException>(() => new SyntheticEncoder(sameShape));
        Assert.StartsWith("not a Svod demo model: random model (seed 1)", error.Message);
        Assert.Throws<ArgumentException>(() => new SyntheticEncoder(otherShape));
    }

    [Fact]
    public void One_symbol_per_step_still_decodes()
    {
        var model = DemoModel.Create(maxSymbolsPerStep: 1);
        var encoder = new SyntheticEncoder(model);
        var frames = Texts.Select(t => encoder.Encode(t, silenceFrames: 0)).ToArray();

        var batched = DecodeInChunks(model, frames, lanes: 4, chunk: 5);
        for (var u = 0; u < Texts.Length; u++)
        {
            var expected = SyntheticEncoder.Normalize(Texts[u]);
            Assert.Equal(expected, model.Tokenizer.Decode(new ReferenceDecoder(model).Decode(frames[u]).Tokens));
            Assert.Equal(expected, model.Tokenizer.Decode(batched[u].Tokens));
        }
    }

    [Theory]
    [InlineData(TensorDType.F32)]
    [InlineData(TensorDType.F16)]
    public void A_saved_and_loaded_demo_model_is_recognised_and_decodes(TensorDType dtype)
    {
        using var directory = new TempDirectory();
        ModelDirectory.Save(DemoModel.Create(), directory.Path, dtype);
        var loaded = ModelDirectory.Load(directory.Path);

        Assert.True(DemoModel.IsDemo(loaded));
        var frames = new SyntheticEncoder(loaded).Encode(LongSentence, noise: 0.05f, seed: 3);
        Assert.Equal(SyntheticEncoder.Normalize(LongSentence),
            loaded.Tokenizer.Decode(new ReferenceDecoder(loaded).Decode(frames).Tokens));
    }

    [Fact]
    public void Empty_text_is_one_frame_of_silence()
    {
        var encoder = new SyntheticEncoder(DemoModel.Create());

        var frames = encoder.Encode("");

        Assert.Equal(DemoModel.Dims.EncoderDim, frames.Length);
        Assert.All(frames, v => Assert.Equal(0f, v));
    }

    /// <summary>Words of random letters and punctuation, capitals included, cut to <paramref name="length"/>.</summary>
    private static string PseudoRandomSentence(int length, int seed)
    {
        const string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'";
        const string punctuation = ".,?!";
        var random = new Random(seed);
        var text = new System.Text.StringBuilder();
        while (text.Length < length)
        {
            var word = random.Next(1, 9);
            for (var k = 0; k < word; k++)
            {
                text.Append(letters[random.Next(letters.Length)]);
            }

            if (random.Next(5) == 0)
            {
                text.Append(punctuation[random.Next(punctuation.Length)]);
            }

            text.Append(' ');
        }

        return text.ToString(0, length);
    }

    /// <summary>Every utterance through one backend, at most <paramref name="chunk"/> frames per entry and call,
    /// rotating which utterances get the lanes.</summary>
    private static DecodedUtterance[] DecodeInChunks(RnntModel model, float[][] utterances, int lanes, int chunk)
    {
        var d = model.Dims.EncoderDim;
        using var backend = new CpuDecoderBackend(model, channels: utterances.Length, lanes, maxFramesPerLane: chunk);
        var result = backend.CreateResult();
        var offsets = new int[utterances.Length];
        var tokens = utterances.Select(_ => new List<int>()).ToArray();
        var tokenFrames = utterances.Select(_ => new List<int>()).ToArray();
        var requests = new List<DecodeRequest>();
        var next = 0;
        while (true)
        {
            requests.Clear();
            for (var k = 0; k < utterances.Length && requests.Count < lanes; k++)
            {
                var u = (next + k) % utterances.Length;
                var remaining = utterances[u].Length / d - offsets[u];
                if (remaining > 0)
                {
                    var n = Math.Min(chunk, remaining);
                    requests.Add(new DecodeRequest(u, utterances[u].AsMemory(offsets[u] * d, n * d)));
                }
            }

            if (requests.Count == 0)
            {
                break;
            }

            next++;
            backend.AdvanceDecoding(requests.ToArray(), result);
            for (var i = 0; i < result.Count; i++)
            {
                var u = result.Channel(i);
                offsets[u] += result.FramesConsumed(i);
                tokens[u].AddRange(result.Tokens(i).ToArray());
                tokenFrames[u].AddRange(result.TokenFrames(i).ToArray());
            }
        }

        for (var u = 0; u < utterances.Length; u++)
        {
            backend.GetHypothesis(u, out var hypothesis, out var hypothesisFrames);
            Assert.Equal(tokens[u], hypothesis.ToArray());
            Assert.Equal(tokenFrames[u], hypothesisFrames.ToArray());
        }

        return [.. tokens.Select((t, u) => new DecodedUtterance([.. t], [.. tokenFrames[u]]))];
    }

    /// <summary>
    /// Greedy decoding as the reference does it (f32, the same kernels), returning the smallest gap between the
    /// winning logit and the runner-up over every joint evaluated.
    /// </summary>
    private static float SmallestMargin(RnntModel model, float[] frames)
    {
        var dims = model.Dims;
        var w = model.Weights;
        var lw = w.Layers[0];
        var h = new float[1];
        var c = new float[1];
        var newH = new float[1];
        var newC = new float[1];
        var gates = new float[4];
        var scratch = new float[2];
        var encoderProjection = new float[dims.JointHidden];
        var predictorProjection = new float[dims.JointHidden];
        var z = new float[dims.JointHidden];
        var logits = new float[dims.NumClasses];
        var smallest = float.PositiveInfinity;
        for (var t = 0; t < frames.Length / dims.EncoderDim; t++)
        {
            ScalarMath.Linear(frames.AsSpan(t * dims.EncoderDim, dims.EncoderDim), w.EncoderWeight, w.EncoderBias,
                encoderProjection);
            for (var symbols = 0; symbols < model.MaxSymbolsPerStep; symbols++)
            {
                // Embedding and input weights are zero, so the gates are the biases plus the recurrent half.
                for (var n = 0; n < 4; n++)
                {
                    gates[n] = lw.HiddenWeight[n] * h[0] + lw.InputBias[n] + lw.HiddenBias[n];
                }

                newC[0] = c[0];
                CellMath.LstmUpdate(gates, newH, newC, scratch);
                ScalarMath.Linear(newH, w.PredictorWeight, w.PredictorBias, predictorProjection);
                CellMath.JointInput(encoderProjection, predictorProjection, z);
                ScalarMath.Linear(z, w.OutputWeight, w.OutputBias, logits);
                var best = ScalarMath.ArgMax(logits);
                var runnerUp = float.NegativeInfinity;
                for (var k = 0; k < logits.Length; k++)
                {
                    if (k != best)
                    {
                        runnerUp = Math.Max(runnerUp, logits[k]);
                    }
                }

                smallest = Math.Min(smallest, logits[best] - runnerUp);
                if (best == dims.Blank)
                {
                    break;
                }

                (h, newH) = (newH, h);
                (c, newC) = (newC, c);
            }
        }

        return smallest;
    }
}
