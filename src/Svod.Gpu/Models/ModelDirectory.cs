using System.Text.Encodings.Web;
using System.Text.Json;
using Svod.Gpu.Formats;
using Svod.Gpu.Text;

namespace Svod.Gpu.Models;

/// <summary>
/// A model directory: <c>config.json</c> (GigaAM's config shape), <c>model.safetensors</c> (GigaAM's tensor names,
/// f32/f16/bf16) and, for SentencePiece models, <c>tokenizer.model</c>. Only <c>head.*</c> and <c>decoding.*</c>
/// are read; other keys and tensors (the encoder) are ignored.
/// </summary>
public static class ModelDirectory
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string TokenizerFile = "tokenizer.model";

    private const string CtcTensor = "head.decoder_layers.0.weight";
    private const string Embed = "head.decoder.embed.weight";
    private const string EncoderWeight = "head.joint.enc.weight";
    private const string EncoderBias = "head.joint.enc.bias";
    private const string PredictorWeight = "head.joint.pred.weight";
    private const string PredictorBias = "head.joint.pred.bias";
    private const string OutputWeight = "head.joint.joint_net.1.weight";
    private const string OutputBias = "head.joint.joint_net.1.bias";

    private static string InputWeight(int layer) => $"head.decoder.lstm.weight_ih_l{layer}";

    private static string HiddenWeight(int layer) => $"head.decoder.lstm.weight_hh_l{layer}";

    private static string InputBias(int layer) => $"head.decoder.lstm.bias_ih_l{layer}";

    private static string HiddenBias(int layer) => $"head.decoder.lstm.bias_hh_l{layer}";

    /// <summary>Loads and validates a model; every problem is a <see cref="ModelFormatException"/> naming the file,
    /// the key or tensor, what was expected and what was found.</summary>
    public static RnntModel Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new ModelFormatException($"{directory}: model directory not found");
        }

        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath))
        {
            throw new ModelFormatException($"{directory}: no {ConfigFile} in the model directory");
        }

        var config = ModelConfigJson.Load(configPath);
        if (CtcReason(config) is { } reason)
        {
            throw NotRnnt(directory, reason);
        }

        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weightsPath))
        {
            throw new ModelFormatException($"{directory}: no {WeightsFile} in the model directory");
        }

        var tensors = SafeTensors.Read(weightsPath, static name => name.StartsWith("head.", StringComparison.Ordinal));
        if (tensors.ContainsKey(CtcTensor))
        {
            throw NotRnnt(directory, "head.decoder_layers");
        }

        var dims = ReadDims(config);
        var tokenizer = ReadTokenizer(config, directory, dims);
        var maxSymbols = config.OptionalPositiveInt(
            "decoding.max_symbols_per_step", RnntModel.DefaultMaxSymbolsPerStep);
        var weights = new TensorChecker(tensors, weightsPath, dims).Weights();
        weights.Validate(dims, directory);
        return new RnntModel
        {
            Dims = dims,
            Weights = weights,
            Tokenizer = tokenizer,
            MaxSymbolsPerStep = maxSymbols,
            Source = directory,
        };
    }

    /// <summary>
    /// Writes config.json, model.safetensors (weights converted to <paramref name="dtype"/>) and, for a
    /// <see cref="SentencePieceTokenizer"/>, tokenizer.model; a <see cref="CharTokenizer"/>'s vocabulary goes
    /// inline into config.json as GigaAM's charwise models have it.
    /// </summary>
    public static void Save(RnntModel model, string directory, TensorDType dtype = TensorDType.F32)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dims = model.Dims;
        model.Weights.Validate(dims, model.Source);
        if (model.Tokenizer.Count + 1 != dims.NumClasses)
        {
            throw new ArgumentException(
                $"{model.Source}: num_classes is {dims.NumClasses} " +
                $"but the tokenizer has {model.Tokenizer.Count} tokens (+1 blank)",
                nameof(model));
        }

        if (model.Tokenizer is not (CharTokenizer or SentencePieceTokenizer))
        {
            throw new ArgumentException(
                $"{model.Source}: a {model.Tokenizer.GetType().Name} cannot be saved; " +
                $"only {nameof(CharTokenizer)} and {nameof(SentencePieceTokenizer)} have a GigaAM file form",
                nameof(model));
        }

        Directory.CreateDirectory(directory);
        if (model.Tokenizer is SentencePieceTokenizer sentencePiece)
        {
            File.WriteAllBytes(Path.Combine(directory, TokenizerFile), sentencePiece.Bytes.ToArray());
        }

        File.WriteAllBytes(Path.Combine(directory, ConfigFile), ConfigJson(model));
        SafeTensors.Write(Path.Combine(directory, WeightsFile), Tensors(model.Weights, dims), dtype);
    }

    private static string? CtcReason(ModelConfigJson config)
    {
        if (config.OptionalString("head._target_") is { } head && head.Contains("CTCHead", StringComparison.Ordinal))
        {
            return $"head._target_ is {head}";
        }

        if (config.Has("head.feat_in"))
        {
            return "head.feat_in";
        }

        return config.OptionalString("decoding._target_") is { } decoding
            && decoding.Contains("CTC", StringComparison.Ordinal)
            ? $"decoding._target_ is {decoding}"
            : null;
    }

    private static ModelFormatException NotRnnt(string directory, string reason) => new(
        $"{directory}: this is a CTC model ({reason}); the RNN-T decoder cannot decode it. " +
        "CTC decoding is not supported yet.");

    private static RnntDims ReadDims(ModelConfigJson config)
    {
        var predHidden = config.RequirePositiveInt("head.decoder.pred_hidden");
        var layers = config.RequirePositiveInt("head.decoder.pred_rnn_layers");
        var decoderClasses = config.RequirePositiveInt("head.decoder.num_classes");
        var encHidden = config.RequirePositiveInt("head.joint.enc_hidden");
        var jointPredHidden = config.RequirePositiveInt("head.joint.pred_hidden");
        var jointHidden = config.RequirePositiveInt("head.joint.joint_hidden");
        var classes = config.RequirePositiveInt("head.joint.num_classes");
        if (decoderClasses != classes)
        {
            throw config.Error(
                $"head.decoder.num_classes is {decoderClasses} but head.joint.num_classes is {classes}");
        }

        if (predHidden != jointPredHidden)
        {
            throw config.Error(
                $"head.decoder.pred_hidden is {predHidden} but head.joint.pred_hidden is {jointPredHidden}");
        }

        return new RnntDims(encHidden, predHidden, layers, jointHidden, classes);
    }

    private static ITokenizer ReadTokenizer(ModelConfigJson config, string directory, RnntDims dims) =>
        ReadTokenizer(config, directory, dims.NumClasses, "head.joint.num_classes");

    /// <summary>GigaAM's <c>Tokenizer</c> (SentencePiece when <c>decoding.model_path</c> is set, else the inline
    /// character vocabulary), checked to have one token fewer than the <paramref name="classesKey"/> classes (the
    /// blank). Shared by the RNN-T and CTC model directories.</summary>
    internal static ITokenizer ReadTokenizer(ModelConfigJson config, string directory, int classes,
        string classesKey)
    {
        ITokenizer tokenizer;
        string counted;
        if (config.OptionalString("decoding.model_path") is { } modelPath)
        {
            var path = ResolveTokenizerPath(config, directory, modelPath);
            tokenizer = SentencePieceTokenizer.Load(path);
            counted = $"{Path.GetFileName(path)} has {tokenizer.Count} pieces";
        }
        else
        {
            var vocabulary = config.OptionalStringArray("decoding.vocabulary")
                ?? throw config.Error("missing decoding.vocabulary (or decoding.model_path)");
            tokenizer = new CharTokenizer(vocabulary);
            counted = $"the vocabulary has {tokenizer.Count} tokens";
        }

        if (tokenizer.Count + 1 != classes)
        {
            throw config.Error($"{classesKey} is {classes} but {counted} (+1 blank)");
        }

        return tokenizer;
    }

    /// <summary>GigaAM configs carry the training machine's absolute path, so a missing file is looked for by its
    /// name inside the model directory.</summary>
    private static string ResolveTokenizerPath(ModelConfigJson config, string directory, string modelPath)
    {
        var direct = Path.Combine(directory, modelPath);
        if (File.Exists(direct))
        {
            return direct;
        }

        var name = modelPath[(modelPath.LastIndexOfAny(['/', '\\']) + 1)..];
        var local = Path.Combine(directory, name);
        return name.Length > 0 && File.Exists(local)
            ? local
            : throw config.Error($"decoding.model_path is \"{modelPath}\", but neither {direct} nor {local} exists");
    }

    private static byte[] ConfigJson(RnntModel model)
    {
        var dims = model.Dims;
        using var memory = new MemoryStream();
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(memory, options))
        {
            json.WriteStartObject();
            json.WriteStartObject("head");
            json.WriteString("_target_", "gigaam.decoder.RNNTHead");
            json.WriteStartObject("decoder");
            json.WriteNumber("pred_hidden", dims.PredHidden);
            json.WriteNumber("pred_rnn_layers", dims.PredLayers);
            json.WriteNumber("num_classes", dims.NumClasses);
            json.WriteEndObject();
            json.WriteStartObject("joint");
            json.WriteNumber("enc_hidden", dims.EncoderDim);
            json.WriteNumber("pred_hidden", dims.PredHidden);
            json.WriteNumber("joint_hidden", dims.JointHidden);
            json.WriteNumber("num_classes", dims.NumClasses);
            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteStartObject("decoding");
            json.WriteString("_target_", "gigaam.decoding.RNNTGreedyDecoding");
            if (model.Tokenizer is CharTokenizer chars)
            {
                json.WriteStartArray("vocabulary");
                foreach (var token in chars.Vocabulary)
                {
                    json.WriteStringValue(token);
                }

                json.WriteEndArray();
            }
            else
            {
                // GigaAM's RNNTGreedyDecoding takes vocabulary as a required argument even with a model_path.
                json.WriteNull("vocabulary");
                json.WriteString("model_path", TokenizerFile);
            }

            json.WriteNumber("max_symbols_per_step", model.MaxSymbolsPerStep);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        memory.WriteByte((byte)'\n');
        return memory.ToArray();
    }

    private static IEnumerable<SafeTensor> Tensors(RnntWeights w, RnntDims d)
    {
        int c = d.NumClasses, h = d.PredHidden, j = d.JointHidden, g = d.GateDim;
        yield return new SafeTensor(Embed, TensorDType.F32, [c, h], w.Embed);
        for (var k = 0; k < w.Layers.Length; k++)
        {
            yield return new SafeTensor(InputWeight(k), TensorDType.F32, [g, h], w.Layers[k].InputWeight);
            yield return new SafeTensor(HiddenWeight(k), TensorDType.F32, [g, h], w.Layers[k].HiddenWeight);
            yield return new SafeTensor(InputBias(k), TensorDType.F32, [g], w.Layers[k].InputBias);
            yield return new SafeTensor(HiddenBias(k), TensorDType.F32, [g], w.Layers[k].HiddenBias);
        }

        yield return new SafeTensor(EncoderWeight, TensorDType.F32, [j, d.EncoderDim], w.EncoderWeight);
        yield return new SafeTensor(EncoderBias, TensorDType.F32, [j], w.EncoderBias);
        yield return new SafeTensor(PredictorWeight, TensorDType.F32, [j, h], w.PredictorWeight);
        yield return new SafeTensor(PredictorBias, TensorDType.F32, [j], w.PredictorBias);
        yield return new SafeTensor(OutputWeight, TensorDType.F32, [c, j], w.OutputWeight);
        yield return new SafeTensor(OutputBias, TensorDType.F32, [c], w.OutputBias);
    }

    /// <summary>Looks up each head tensor and checks its shape against the config, naming the config key behind
    /// every dimension that differs.</summary>
    private sealed class TensorChecker(IReadOnlyDictionary<string, SafeTensor> tensors, string path, RnntDims dims)
    {
        private readonly Dim _classes = new(dims.NumClasses, "head.joint.num_classes");
        private readonly Dim _hidden = new(dims.PredHidden, "head.decoder.pred_hidden");
        private readonly Dim _gates = new(dims.GateDim, "4 × head.decoder.pred_hidden");
        private readonly Dim _joint = new(dims.JointHidden, "head.joint.joint_hidden");
        private readonly Dim _encoder = new(dims.EncoderDim, "head.joint.enc_hidden");

        public RnntWeights Weights()
        {
            var embed = Get(Embed, _classes, _hidden);
            var layers = new LstmLayerWeights[dims.PredLayers];
            for (var k = 0; k < layers.Length; k++)
            {
                layers[k] = new LstmLayerWeights(
                    Get(InputWeight(k), _gates, _hidden),
                    Get(HiddenWeight(k), _gates, _hidden),
                    Get(InputBias(k), _gates),
                    Get(HiddenBias(k), _gates));
            }

            var extra = InputWeight(dims.PredLayers);
            if (tensors.ContainsKey(extra))
            {
                throw new ModelFormatException(
                    $"{path}: has tensor {extra}, but {ConfigFile} head.decoder.pred_rnn_layers = {dims.PredLayers}");
            }

            return new RnntWeights
            {
                Embed = embed,
                Layers = layers,
                EncoderWeight = Get(EncoderWeight, _joint, _encoder),
                EncoderBias = Get(EncoderBias, _joint),
                PredictorWeight = Get(PredictorWeight, _joint, _hidden),
                PredictorBias = Get(PredictorBias, _joint),
                OutputWeight = Get(OutputWeight, _classes, _joint),
                OutputBias = Get(OutputBias, _classes),
            };
        }

        private float[] Get(string name, params Dim[] expected)
        {
            if (!tensors.TryGetValue(name, out var tensor))
            {
                throw new ModelFormatException($"{path}: missing tensor {name}");
            }

            var shape = tensor.Shape;
            if (shape.Length == expected.Length && shape.Select((s, i) => s == expected[i].Size).All(same => same))
            {
                return tensor.Data;
            }

            var keys = expected
                .Where((e, i) => shape.Length != expected.Length || shape[i] != e.Size)
                .Select(e => $"{e.Key} = {e.Size}")
                .Distinct();
            throw new ModelFormatException(
                $"{path}: tensor {name} has shape {SafeTensors.FormatShape(shape)}, " +
                $"expected {SafeTensors.FormatShape(expected.Select(e => e.Size))} " +
                $"({ConfigFile} {string.Join(", ", keys)})");
        }

        private readonly record struct Dim(int Size, string Key);
    }
}
