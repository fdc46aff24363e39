using System.CommandLine;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Cli;

/// <summary><c>svod config show</c>: the merged, resolved configuration.</summary>
internal static class ConfigCommand
{
    /// <summary>Key names whose values are secrets: masked in the HOCON form (a PostgreSQL connection string may hold a
    /// password).</summary>
    private static readonly string[] SecretWords =
        ["password", "secret", "api-key", "apikey", "api_key", "admin-key", "token", "postgres"];

    public static Command Create(ConfigOptions config)
    {
        var format = new Option<string>("--format")
        {
            Description = "'hocon' (readable; secrets masked) or 'json' (plain JSON of the resolved tree).",
            DefaultValueFactory = _ => "hocon",
        };
        format.AcceptOnlyFromAmong("hocon", "json");
        var show = new Command("show",
            "Print the configuration this invocation sees: the defaults (hocon/svod.conf) merged with every " +
            "--config file and -D override, substitutions resolved. An invalid file exits with 2 and its location.");
        show.Options.Add(format);
        show.SetAction(parse =>
        {
            var settings = config.Load(parse);
            Console.Out.WriteLine(parse.GetValue(format) == "json"
                ? settings.Hocon.ToJson()
                : settings.Hocon.ToHocon(IsSecret));
            return ExitCodes.Ok;
        });
        var command = new Command("config", "Configuration: show the merged, resolved settings.");
        command.Subcommands.Add(show);
        return command;
    }

    /// <summary>True when the last segment of a dotted path names a secret.</summary>
    public static bool IsSecret(string path)
    {
        var last = path[(path.LastIndexOf('.') + 1)..];
        return SecretWords.Any(w => last.Contains(w, StringComparison.OrdinalIgnoreCase));
    }
}
