using System.CommandLine;
using System.CommandLine.Parsing;

namespace Svod.Cluster.Cli;

/// <summary>Option shapes several commands share.</summary>
internal static class CliOptions
{
    /// <summary>A whole-number option that must be at least 1; a smaller value is a parse error naming it.</summary>
    public static Option<int> PositiveInt(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r => RequirePositive(r, name));
        return option;
    }

    /// <summary>A whole number of at least 1 that overrides configuration key <paramref name="key"/> when given.</summary>
    public static Option<int?> PositiveIntSetting(string name, string description, string key)
    {
        var option = new Option<int?>(name) { Description = $"{description} Default: {key} from the configuration." };
        option.Validators.Add(r => RequirePositive(r, name));
        return option;
    }

    /// <summary><c>--batch</c>: lanes per AdvanceDecoding call, overriding <c>svod.lanes.count</c>.</summary>
    public static Option<int?> Batch(string description) => PositiveIntSetting("--batch", description, "svod.lanes.count");

    private static void RequirePositive(OptionResult result, string name)
    {
        if (result.Tokens.Count > 0 && result.GetValueOrDefault<int?>() is < 1)
        {
            result.AddError($"{name} must be at least 1");
        }
    }
}
