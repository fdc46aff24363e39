using System.CommandLine;
using Svod.Cluster.Cli;

namespace Svod.Cluster.Tests;

/// <summary>The shape of the <c>svod</c> command tree: documented, and parse errors caught before anything runs.</summary>
public sealed class CommandLineTests
{
    private static IEnumerable<Command> AllCommands(Command command) =>
        new[] { command }.Concat(command.Subcommands.SelectMany(AllCommands));

    [Fact]
    public void Every_command_and_option_has_help_text()
    {
        var root = SvodCommandLine.Build();
        var commands = AllCommands(root).ToArray();
        Assert.True(commands.Length >= 7, $"only {commands.Length} commands found");
        foreach (var command in commands)
        {
            Assert.False(string.IsNullOrWhiteSpace(command.Description), $"command '{command.Name}' has no description");
            foreach (var option in command.Options.Where(o => !o.Hidden && o.Name is not "--help" and not "--version"))
            {
                Assert.False(string.IsNullOrWhiteSpace(option.Description),
                    $"option {option.Name} of '{command.Name}' has no description");
            }
        }
    }

    [Theory]
    [InlineData("decode")]
    [InlineData("demo")]
    [InlineData("bench")]
    [InlineData("frames")]
    [InlineData("model")]
    public void The_root_lists_each_command(string name)
    {
        Assert.Contains(SvodCommandLine.Build().Subcommands, c => c.Name == name);
    }

    [Theory]
    [InlineData("decode --model demo", "--frames")]
    [InlineData("decode --model demo --frames a.npy --batch 0", "--batch")]
    [InlineData("bench --batch 1,x", "'x'")]
    [InlineData("bench --preset huge", "huge")]
    [InlineData("model demo --out d --dtype f64", "f64")]
    [InlineData("frames --text hi --out x.npy --silence-frames -1", "--silence-frames")]
    public void Bad_arguments_are_parse_errors_that_name_the_problem(string arguments, string named)
    {
        var parse = SvodCommandLine.Build().Parse(arguments);
        Assert.NotEmpty(parse.Errors);
        Assert.Contains(parse.Errors, e => e.Message.Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public void Batch_lists_are_comma_separated()
    {
        var parse = SvodCommandLine.Build().Parse("bench --batch 1,16,64");
        Assert.Empty(parse.Errors);
        var bench = (Command)parse.CommandResult.Command;
        var batch = (Option<int[]>)bench.Options.Single(o => o.Name == "--batch");
        Assert.Equal([1, 16, 64], parse.GetValue(batch)!);
    }
}
