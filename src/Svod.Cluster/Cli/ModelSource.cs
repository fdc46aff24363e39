using Svod.Cluster.Configuration;
using Svod.Gpu.Demo;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>Resolves <c>--model</c>: the word <c>demo</c> is the built-in synthetic model, anything else a model
/// directory.</summary>
internal static class ModelSource
{
    public const string Help =
        "Model directory (config.json, model.safetensors, tokenizer.model if the config names one), or 'demo' for " +
        "the built-in synthetic demo model.";

    /// <summary>Loads the model; <c>svod.decoding.max-symbols-per-step</c>, when set, replaces the model's own.</summary>
    public static RnntModel Load(string model, SvodSettings settings)
    {
        var loaded = Load(model);
        var maxSymbols = settings.Options.Decoding.MaxSymbolsPerStep;
        return maxSymbols <= 0 || maxSymbols == loaded.MaxSymbolsPerStep
            ? loaded
            : new RnntModel
            {
                Dims = loaded.Dims,
                Weights = loaded.Weights,
                Tokenizer = loaded.Tokenizer,
                MaxSymbolsPerStep = maxSymbols,
                Source = loaded.Source,
            };
    }

    private static RnntModel Load(string model)
    {
        if (string.Equals(model, DemoModel.Name, StringComparison.OrdinalIgnoreCase) && !Directory.Exists(model))
        {
            return DemoModel.Create();
        }

        try
        {
            return ModelDirectory.Load(model);
        }
        catch (ModelFormatException e)
        {
            throw new CliException(e.Message);
        }
    }
}
