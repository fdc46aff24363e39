using System.Text.Json.Nodes;
using Google.Protobuf;
using Svod.Gpu.Formats;
using Svod.Gpu.Models;
using Svod.Gpu.Text;
using Svod.Gpu.Text.SentencePieceProto;
using PieceType = Svod.Gpu.Text.SentencePieceProto.ModelProto.Types.SentencePiece.Types.Type;

namespace Svod.Gpu.Tests;

public sealed class ModelDirectoryTests : IDisposable
{
    private static readonly RnntDims Dims = new(EncoderDim: 12, PredHidden: 8, PredLayers: 2, JointHidden: 10,
        NumClasses: 6);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Dir => _temp.Path;

    private string Config => Path.Combine(Dir, ModelDirectory.ConfigFile);

    private string Weights => Path.Combine(Dir, ModelDirectory.WeightsFile);

    [Fact]
    public void Save_then_load_gives_identical_weights_for_F32()
    {
        var random = TestModels.Random(Dims, seed: 5, new CharTokenizer([" ", "а", "б", "в", "г"]));
        var model = new RnntModel
        {
            Dims = Dims,
            Weights = random.Weights,
            Tokenizer = random.Tokenizer,
            MaxSymbolsPerStep = 3,
        };

        ModelDirectory.Save(model, Dir);
        var loaded = ModelDirectory.Load(Dir);

        Assert.Equal(Dims, loaded.Dims);
        Assert.Equal(3, loaded.MaxSymbolsPerStep);
        Assert.Equal(Dir, loaded.Source);
        Assert.Equal([" ", "а", "б", "в", "г"], Assert.IsType<CharTokenizer>(loaded.Tokenizer).Vocabulary);
        Assert.Equal(Tensors(model.Weights), Tensors(loaded.Weights));
    }

    [Theory]
    [InlineData(TensorDType.F16, 11)]
    [InlineData(TensorDType.BF16, 8)]
    public void Half_precision_save_loads_within_the_dtype_precision(TensorDType dtype, int mantissaBits)
    {
        var model = TestModels.Random(Dims, seed: 6);

        ModelDirectory.Save(model, Dir, dtype);
        var loaded = ModelDirectory.Load(Dir);

        var tolerance = Math.Pow(2, -mantissaBits);
        foreach (var (expected, actual) in Tensors(model.Weights).Zip(Tensors(loaded.Weights)))
        {
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= (tolerance * Math.Abs(expected[i])) + 1e-7);
            }
        }

        Assert.Equal(dtype, SafeTensors.Read(Weights)["head.joint.enc.weight"].DType);
    }

    [Fact]
    public void SentencePiece_model_is_saved_with_its_tokenizer_file()
    {
        var bytes = SentencePieceBytes(5);
        var model = TestModels.Random(Dims, seed: 7, SentencePieceTokenizer.Parse(bytes, "memory"));

        ModelDirectory.Save(model, Dir);
        var loaded = ModelDirectory.Load(Dir);

        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(Dir, ModelDirectory.TokenizerFile)));
        Assert.Equal(bytes, Assert.IsType<SentencePieceTokenizer>(loaded.Tokenizer).Bytes.ToArray());
        var config = JsonNode.Parse(File.ReadAllText(Config))!;
        Assert.Equal("tokenizer.model", config["decoding"]!["model_path"]!.GetValue<string>());
        Assert.Equal("a b", loaded.Tokenizer.Decode([1, 2]));
    }

    [Fact]
    public void Absolute_tokenizer_path_of_the_training_machine_falls_back_to_the_model_directory()
    {
        SaveSentencePiece(seed: 8);
        EditConfig(c => c["decoding"]!["model_path"] = "/home/trainer/exp/42/tokenizer.model");

        Assert.IsType<SentencePieceTokenizer>(ModelDirectory.Load(Dir).Tokenizer);
    }

    [Fact]
    public void GigaAM_config_with_other_keys_interpolations_and_no_max_symbols_loads()
    {
        SaveRandom();
        EditConfig(c =>
        {
            c["model_name"] = "demo";
            c["sample_rate"] = 16000;
            c["encoder"] = new JsonObject { ["d_model"] = 12, ["n_layers"] = 16 };
            c["head"]!["joint"]!["enc_hidden"] = "${encoder.d_model}";
            c["head"]!["joint"]!["pred_hidden"] = "${head.decoder.pred_hidden}";
            c["decoding"]!.AsObject().Remove("max_symbols_per_step");
        });
        SafeTensors.Write(Weights, [.. SafeTensors.Read(Weights).Values, Tensor("encoder.layers.0.weight", 3, 3)],
            TensorDType.F32);

        var loaded = ModelDirectory.Load(Dir);

        Assert.Equal(Dims, loaded.Dims);
        Assert.Equal(10, loaded.MaxSymbolsPerStep);
    }

    [Fact]
    public void Missing_directory_is_named()
    {
        var missing = Path.Combine(Dir, "absent");

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(missing));

        Assert.Equal($"{missing}: model directory not found", e.Message);
    }

    [Fact]
    public void Missing_config_is_named()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Dir}: no config.json in the model directory", e.Message);
    }

    [Fact]
    public void Missing_weights_file_is_named()
    {
        SaveRandom();
        File.Delete(Weights);

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Dir}: no model.safetensors in the model directory", e.Message);
    }

    [Fact]
    public void Config_that_is_not_JSON_is_named()
    {
        SaveRandom();
        File.WriteAllText(Config, "{ head: ");

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.StartsWith($"{Config}: bad JSON: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("head.joint.joint_hidden")]
    [InlineData("head.decoder.pred_rnn_layers")]
    [InlineData("head.decoder.num_classes")]
    public void Missing_key_is_named(string key)
    {
        SaveRandom();
        var parts = key.Split('.');
        EditConfig(c => c[parts[0]]![parts[1]]!.AsObject().Remove(parts[2]));

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Config}: missing {key}", e.Message);
    }

    [Fact]
    public void Key_that_is_not_a_positive_integer_is_named_with_its_value()
    {
        SaveRandom();
        EditConfig(c => c["head"]!["joint"]!["joint_hidden"] = "320");

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Config}: head.joint.joint_hidden is \"320\", expected a positive integer", e.Message);
    }

    [Fact]
    public void Decoder_and_joint_must_agree_on_num_classes()
    {
        SaveRandom();
        EditConfig(c => c["head"]!["decoder"]!["num_classes"] = 7);

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Config}: head.decoder.num_classes is 7 but head.joint.num_classes is 6", e.Message);
    }

    [Fact]
    public void Decoder_and_joint_must_agree_on_pred_hidden()
    {
        SaveRandom();
        EditConfig(c => c["head"]!["joint"]!["pred_hidden"] = 9);

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Config}: head.decoder.pred_hidden is 8 but head.joint.pred_hidden is 9", e.Message);
    }

    [Fact]
    public void Num_classes_must_be_the_vocabulary_plus_blank()
    {
        SaveRandom();
        EditConfig(c => c["decoding"]!["vocabulary"] = new JsonArray("a", "b", "c"));

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Config}: head.joint.num_classes is 6 but the vocabulary has 3 tokens (+1 blank)", e.Message);
    }

    [Fact]
    public void Num_classes_must_be_the_sentencepiece_pieces_plus_blank()
    {
        SaveSentencePiece(seed: 9);
        File.WriteAllBytes(Path.Combine(Dir, ModelDirectory.TokenizerFile), SentencePieceBytes(7));

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Config}: head.joint.num_classes is 6 but tokenizer.model has 7 pieces (+1 blank)", e.Message);
    }

    [Fact]
    public void Missing_tokenizer_file_names_the_paths_tried()
    {
        SaveSentencePiece(seed: 10);
        EditConfig(c => c["decoding"]!["model_path"] = "/train/spm.model");

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal(
            $"{Config}: decoding.model_path is \"/train/spm.model\", but neither /train/spm.model nor " +
            $"{Path.Combine(Dir, "spm.model")} exists",
            e.Message);
    }

    [Fact]
    public void Config_without_vocabulary_or_model_path_is_named()
    {
        SaveRandom();
        EditConfig(c => c["decoding"]!.AsObject().Remove("vocabulary"));

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Config}: missing decoding.vocabulary (or decoding.model_path)", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        SaveRandom();
        RewriteTensors(t => t.Name != "head.decoder.lstm.weight_hh_l1");

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal($"{Weights}: missing tensor head.decoder.lstm.weight_hh_l1", e.Message);
    }

    [Fact]
    public void Tensor_of_the_wrong_shape_names_the_shapes_and_the_config_key()
    {
        SaveRandom();
        RewriteTensors(t => true, t => t.Name == "head.joint.enc.weight" ? Tensor(t.Name, 10, 7) : t);

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal(
            $"{Weights}: tensor head.joint.enc.weight has shape [10, 7], expected [10, 12] " +
            "(config.json head.joint.enc_hidden = 12)",
            e.Message);
    }

    [Fact]
    public void Tensor_of_the_wrong_rank_names_every_config_key_of_its_shape()
    {
        SaveRandom();
        RewriteTensors(t => true, t => t.Name == "head.decoder.lstm.bias_ih_l0" ? Tensor(t.Name, 4, 8) : t);

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal(
            $"{Weights}: tensor head.decoder.lstm.bias_ih_l0 has shape [4, 8], expected [32] " +
            "(config.json 4 × head.decoder.pred_hidden = 32)",
            e.Message);
    }

    [Fact]
    public void LSTM_layer_beyond_pred_rnn_layers_is_an_error()
    {
        SaveRandom();
        EditConfig(c => c["head"]!["decoder"]!["pred_rnn_layers"] = 1);

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal(
            $"{Weights}: has tensor head.decoder.lstm.weight_ih_l1, but config.json head.decoder.pred_rnn_layers = 1",
            e.Message);
    }

    [Theory]
    [InlineData("target", "head._target_ is gigaam.decoder.CTCHead")]
    [InlineData("feat_in", "head.feat_in")]
    [InlineData("tensor", "head.decoder_layers")]
    public void CTC_model_is_recognised_and_refused(string marker, string reason)
    {
        SaveRandom();
        switch (marker)
        {
            case "target":
                EditConfig(c => c["head"] = new JsonObject
                {
                    ["_target_"] = "gigaam.decoder.CTCHead",
                    ["feat_in"] = 12,
                    ["num_classes"] = 6,
                });
                break;
            case "feat_in":
                EditConfig(c => c["head"] = new JsonObject { ["feat_in"] = 12, ["num_classes"] = 6 });
                break;
            default:
                EditConfig(c => c.Remove("head"));
                SafeTensors.Write(Weights, [Tensor("head.decoder_layers.0.weight", 6, 12, 1)], TensorDType.F32);
                break;
        }

        var e = Assert.Throws<ModelFormatException>(() => ModelDirectory.Load(Dir));

        Assert.Equal(
            $"{Dir}: this is a CTC model ({reason}); the RNN-T decoder cannot decode it. " +
            "CTC decoding is not supported yet.",
            e.Message);
    }

    [Fact]
    public void Saving_a_tokenizer_that_does_not_fit_num_classes_is_refused()
    {
        var model = TestModels.Random(Dims, seed: 11, new CharTokenizer(["a", "b"]));

        var e = Assert.Throws<ArgumentException>(() => ModelDirectory.Save(model, Dir));

        Assert.Contains("num_classes is 6 but the tokenizer has 2 tokens (+1 blank)", e.Message,
            StringComparison.Ordinal);
    }

    private static IEnumerable<float[]> Tensors(RnntWeights w) =>
    [
        w.Embed,
        .. w.Layers.SelectMany(l => new[] { l.InputWeight, l.HiddenWeight, l.InputBias, l.HiddenBias }),
        w.EncoderWeight, w.EncoderBias, w.PredictorWeight, w.PredictorBias, w.OutputWeight, w.OutputBias,
    ];

    private static SafeTensor Tensor(string name, params int[] shape) =>
        new(name, TensorDType.F32, shape, new float[shape.Aggregate(1, (a, b) => a * b)]);

    /// <summary>A minimal SentencePiece model: &lt;unk&gt; and <paramref name="count"/> - 1 one-letter word
    /// pieces.</summary>
    private static byte[] SentencePieceBytes(int count)
    {
        var proto = new ModelProto();
        proto.Pieces.Add(new ModelProto.Types.SentencePiece { Piece = "<unk>", Type = PieceType.Unknown });
        for (var i = 1; i < count; i++)
        {
            proto.Pieces.Add(new ModelProto.Types.SentencePiece { Piece = "▁" + (char)('a' + i - 1), Score = -i });
        }

        return proto.ToByteArray();
    }

    private void SaveRandom() => ModelDirectory.Save(TestModels.Random(Dims, seed: 1), Dir);

    private void SaveSentencePiece(int seed) => ModelDirectory.Save(
        TestModels.Random(Dims, seed, SentencePieceTokenizer.Parse(SentencePieceBytes(5), "memory")), Dir);

    private void EditConfig(Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(File.ReadAllText(Config))!.AsObject();
        edit(config);
        File.WriteAllText(Config, config.ToJsonString());
    }

    private void RewriteTensors(Func<SafeTensor, bool> keep, Func<SafeTensor, SafeTensor>? change = null) =>
        SafeTensors.Write(Weights, [.. SafeTensors.Read(Weights).Values.Where(keep).Select(change ?? (t => t))],
            TensorDType.F32);
}
