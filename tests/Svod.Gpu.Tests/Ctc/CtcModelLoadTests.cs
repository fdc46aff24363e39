using System.Text.Json.Nodes;
using Svod.Gpu.Ctc;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;
using Svod.Gpu.Text;

namespace Svod.Gpu.Tests.Ctc;

/// <summary>GigaAM CTC model directories: what loads, and what is refused with a message naming the cause.</summary>
public sealed class CtcModelLoadTests : IDisposable
{
    private const int Dim = 12;
    private static readonly string[] Vocabulary = [" ", "а", "б", "в", "г"];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(TensorDType.F32, 24)]
    [InlineData(TensorDType.F16, 11)]
    [InlineData(TensorDType.BF16, 8)]
    public void A_GigaAM_CTC_directory_loads_in_every_dtype(TensorDType dtype, int mantissaBits)
    {
        var head = CtcHeadTests.RandomHead(Dim, Vocabulary.Length + 1, new Random(3));
        Write(_temp.Path, head, dtype);

        var model = CtcModel.Load(_temp.Path);
        Assert.Equal(Dim, model.EncoderDim);
        Assert.Equal(Vocabulary.Length + 1, model.Classes);
        Assert.Equal(Vocabulary.Length, model.Blank);
        Assert.Equal(Vocabulary, Assert.IsType<CharTokenizer>(model.Tokenizer).Vocabulary);
        var tolerance = MathF.Pow(2, -mantissaBits);
        AssertClose(head.Weight.Span, model.Head.Weight.Span, tolerance);
        AssertClose(head.Bias.Span, model.Head.Bias.Span, tolerance);
    }

    [Fact]
    public void An_RNNT_directory_is_refused_naming_the_missing_CTC_tensor()
    {
        var dims = new RnntDims(EncoderDim: 8, PredHidden: 6, PredLayers: 1, JointHidden: 10, NumClasses: 5);
        ModelDirectory.Save(RandomModel.Create(dims, seed: 1), _temp.Path);

        var e = Assert.Throws<ModelFormatException>(() => CtcModel.Load(_temp.Path));
        Assert.Contains("missing tensor head.decoder_layers.0.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("RNN-T model", e.Message, StringComparison.Ordinal);
        Assert.Contains("head.joint.enc.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_with_neither_head_is_refused_naming_the_missing_tensor()
    {
        Write(_temp.Path, CtcHeadTests.RandomHead(Dim, 6, new Random(1)), TensorDType.F32);
        SafeTensors.Write(_temp[ModelDirectory.WeightsFile],
            [new SafeTensor("encoder.layers.0.weight", TensorDType.F32, [2], [1, 2])], TensorDType.F32);

        var e = Assert.Throws<ModelFormatException>(() => CtcModel.Load(_temp.Path));
        Assert.Contains("missing tensor head.decoder_layers.0.weight", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("RNN-T", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_RNNT_loader_still_refuses_a_CTC_directory()
    {
        Write(_temp.Path, CtcHeadTests.RandomHead(Dim, 6, new Random(1)), TensorDType.F32);
        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(_temp.Path));
        Assert.Contains("CTC model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weight_whose_shape_disagrees_with_the_config_is_named_with_both_shapes()
    {
        Write(_temp.Path, CtcHeadTests.RandomHead(Dim, 6, new Random(1)), TensorDType.F32, featIn: Dim + 1);
        var e = Assert.Throws<ModelFormatException>(() => CtcModel.Load(_temp.Path));
        Assert.Contains($"head.decoder_layers.0.weight has shape [6, {Dim}, 1], expected [6, {Dim + 1}, 1]",
            e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Num_classes_must_be_the_vocabulary_plus_blank()
    {
        Write(_temp.Path, CtcHeadTests.RandomHead(Dim, 7, new Random(1)), TensorDType.F32);
        var e = Assert.Throws<ModelFormatException>(() => CtcModel.Load(_temp.Path));
        Assert.Contains("head.num_classes is 7 but the vocabulary has 5 tokens", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_config_key_and_bias_are_named()
    {
        Write(_temp.Path, CtcHeadTests.RandomHead(Dim, 6, new Random(1)), TensorDType.F32, featIn: null);
        var e = Assert.Throws<ModelFormatException>(() => CtcModel.Load(_temp.Path));
        Assert.Contains("missing head.feat_in", e.Message, StringComparison.Ordinal);

        var head = CtcHeadTests.RandomHead(Dim, 6, new Random(1));
        Write(_temp.Path, head, TensorDType.F32);
        SafeTensors.Write(_temp[ModelDirectory.WeightsFile],
            [new SafeTensor(CtcModel.WeightTensor, TensorDType.F32, [6, Dim, 1], head.Weight.ToArray())],
            TensorDType.F32);
        e = Assert.Throws<ModelFormatException>(() => CtcModel.Load(_temp.Path));
        Assert.Contains("missing tensor head.decoder_layers.0.bias", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A GigaAM-shaped CTC directory: config.json (head {feat_in, num_classes}, inline vocabulary; the
    /// feat_in as an OmegaConf interpolation, as undumped configs have it) and model.safetensors.</summary>
    private static void Write(string directory, CtcHead head, TensorDType dtype, int? featIn = Dim)
    {
        var headConfig = new JsonObject
        {
            ["_target_"] = "gigaam.decoder.CTCHead",
            ["num_classes"] = head.Classes,
        };
        if (featIn is { } f)
        {
            headConfig["feat_in"] = f == Dim ? "${encoder.d_model}" : f;
        }

        var config = new JsonObject
        {
            ["encoder"] = new JsonObject { ["d_model"] = Dim },
            ["head"] = headConfig,
            ["decoding"] = new JsonObject
            {
                ["_target_"] = "gigaam.decoding.CTCGreedyDecoding",
                ["vocabulary"] = new JsonArray([.. Vocabulary.Select(v => JsonValue.Create(v))]),
            },
        };
        File.WriteAllText(Path.Combine(directory, ModelDirectory.ConfigFile), config.ToJsonString());
        SafeTensors.Write(Path.Combine(directory, ModelDirectory.WeightsFile),
        [
            new SafeTensor(CtcModel.WeightTensor, TensorDType.F32, [head.Classes, head.EncoderDim, 1],
                head.Weight.ToArray()),
            new SafeTensor(CtcModel.BiasTensor, TensorDType.F32, [head.Classes], head.Bias.ToArray()),
        ], dtype);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]),
                $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }
}
