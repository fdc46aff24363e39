using Svod.Gpu.Formats;
using Svod.Gpu.Models;
using Svod.Gpu.Text;

namespace Svod.Gpu.Ctc;

public sealed partial class CtcModel
{
    /// <summary>Conv1d weight [num_classes, feat_in, 1].</summary>
    public const string WeightTensor = "head.decoder_layers.0.weight";

    /// <summary>Conv1d bias [num_classes].</summary>
    public const string BiasTensor = "head.decoder_layers.0.bias";

    // Present in every GigaAM RNN-T checkpoint; used only to say what a non-CTC directory is.
    private const string RnntTensor = "head.joint.enc.weight";

    /// <summary>
    /// Loads a GigaAM CTC model directory: <c>config.json</c> with <c>head</c> {feat_in, num_classes} and
    /// <c>decoding</c> {vocabulary | model_path} (the same tokenizer keys as the RNN-T models),
    /// <c>model.safetensors</c> with <see cref="WeightTensor"/> and <see cref="BiasTensor"/> (f32/f16/bf16), and
    /// <c>tokenizer.model</c> where the config names one. Every problem, an RNN-T directory included, is a
    /// <see cref="ModelFormatException"/> naming the file and the key or tensor.
    /// </summary>
    public static CtcModel Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new ModelFormatException($"{directory}: model directory not found");
        }

        var configPath = Path.Combine(directory, ModelDirectory.ConfigFile);
        if (!File.Exists(configPath))
        {
            throw new ModelFormatException($"{directory}: no {ModelDirectory.ConfigFile} in the model directory");
        }

        var weightsPath = Path.Combine(directory, ModelDirectory.WeightsFile);
        if (!File.Exists(weightsPath))
        {
            throw new ModelFormatException($"{directory}: no {ModelDirectory.WeightsFile} in the model directory");
        }

        var config = ModelConfigJson.Load(configPath);
        var tensors = SafeTensors.Read(weightsPath, static name => name.StartsWith("head.", StringComparison.Ordinal));
        if (!tensors.TryGetValue(WeightTensor, out var weight))
        {
            var rnnt = tensors.ContainsKey(RnntTensor) ? $"it has tensor {RnntTensor}"
                : config.Has("head.joint") ? $"its {ModelDirectory.ConfigFile} has head.joint"
                : null;
            var what = rnnt is null
                ? ""
                : $"; this is an RNN-T model ({rnnt}): load it with " +
                  $"{nameof(ModelDirectory)}.{nameof(ModelDirectory.Load)}";
            throw new ModelFormatException(
                $"{weightsPath}: missing tensor {WeightTensor}: not a GigaAM CTC model{what}");
        }

        var dim = config.RequirePositiveInt("head.feat_in");
        var classes = config.RequirePositiveInt("head.num_classes");
        if (classes < 2)
        {
            throw config.Error($"head.num_classes is {classes}; a CTC head needs at least one token and the blank");
        }

        CheckShape(weight, weightsPath, [classes, dim, 1], "head.num_classes, head.feat_in, kernel size 1");
        var bias = tensors.TryGetValue(BiasTensor, out var b)
            ? b
            : throw new ModelFormatException($"{weightsPath}: missing tensor {BiasTensor}");
        CheckShape(bias, weightsPath, [classes], "head.num_classes");

        var tokenizer = ModelDirectory.ReadTokenizer(config, directory, classes, "head.num_classes");

        return new CtcModel
        {
            Head = new CtcHead(weight.Data, bias.Data, dim, classes),
            Tokenizer = tokenizer,
            Source = directory,
        };
    }

    /// <summary>Whether a directory's config.json describes a CTC model (a head without an RNN-T joint); false
    /// for anything unreadable, which the RNN-T loader then reports.</summary>
    public static bool IsCtcDirectory(string directory)
    {
        var configPath = Path.Combine(directory, ModelDirectory.ConfigFile);
        if (!File.Exists(configPath))
        {
            return false;
        }

        try
        {
            var config = ModelConfigJson.Load(configPath);
            return config.Has("head") && !config.Has("head.joint");
        }
        catch (ModelFormatException)
        {
            return false;
        }
    }

    private static void CheckShape(SafeTensor tensor, string path, int[] expected, string keys)
    {
        if (!tensor.Shape.AsSpan().SequenceEqual(expected))
        {
            throw new ModelFormatException(
                $"{path}: tensor {tensor.Name} has shape {SafeTensors.FormatShape(tensor.Shape)}, " +
                $"expected {SafeTensors.FormatShape(expected)} ({ModelDirectory.ConfigFile} {keys})");
        }
    }
}
