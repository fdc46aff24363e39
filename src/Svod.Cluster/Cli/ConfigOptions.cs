using System.CommandLine;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Cli;

/// <summary><c>--config FILE</c> and <c>-D key=value</c>, taken by every command.</summary>
internal sealed class ConfigOptions
{
    public Option<string[]> Files { get; } = new("--config")
    {
        Description = "HOCON configuration file; repeatable, later files win over earlier ones and over the defaults " +
            "(every key with its default and meaning: hocon/svod.conf, or 'svod config show').",
        Recursive = true,
    };

    public Option<string[]> Defines { get; } = new("--define", "-D")
    {
        Description = "Set one key, e.g. -D svod.lanes.count=128 (the value is HOCON); repeatable, wins over every file.",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Options.Add(Files);
        root.Options.Add(Defines);
    }

    /// <summary>The configuration of this invocation; a bad file or key is a one-line error with its location.</summary>
    public SvodSettings Load(ParseResult parse)
    {
        try
        {
            return SvodSettings.Load(parse.GetValue(Files) ?? [], parse.GetValue(Defines) ?? []);
        }
        catch (ConfigurationException e)
        {
            throw new CliException(e.Message);
        }
    }
}
