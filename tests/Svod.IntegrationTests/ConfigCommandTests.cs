using System.Text.Json;

namespace Svod.IntegrationTests;

/// <summary><c>svod config show</c> and <c>--config</c>/<c>-D</c> on the real executable.</summary>
public sealed class ConfigCommandTests
{
    [Fact]
    public async Task Config_show_json_prints_the_merged_resolved_tree()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["shared"]);
        await File.WriteAllTextAsync(dir["shared/base.conf"], "include \"lanes\"\nmyapp { name = svod, port = 8080 }\n");
        await File.WriteAllTextAsync(dir["shared/lanes.conf"], "svod.lanes.max-frames-per-call = 16\n");
        await File.WriteAllTextAsync(dir["site.conf"], "svod.lanes.count = ${myapp.port}\nmyapp.url = \"http://\"${myapp.name}\n");
        var run = await ProcessRun.SvodAsync("config", "show", "--format", "json", "--config", dir["shared/base.conf"],
            "--config", dir["site.conf"], "-D", "svod.decoding.threads=3");
        Assert.True(run.ExitCode == 0, run.ToString());
        var root = JsonDocument.Parse(run.Stdout).RootElement;
        var lanes = root.GetProperty("svod").GetProperty("lanes");
        Assert.Equal("8080", lanes.GetProperty("count").ToString());
        Assert.Equal(16, lanes.GetProperty("max-frames-per-call").GetInt32());
        Assert.Equal(3, root.GetProperty("svod").GetProperty("decoding").GetProperty("threads").GetInt32());
        Assert.Equal("auto", root.GetProperty("svod").GetProperty("decoding").GetProperty("backend").GetString());
        Assert.Equal("http://svod", root.GetProperty("myapp").GetProperty("url").GetString());
    }

    [Fact]
    public async Task Config_show_hocon_masks_secrets_and_json_does_not()
    {
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(dir["s.conf"], "db { password = hunter2, user = svod }\nauth.api-key = \"k-123\"\n");
        var hocon = await ProcessRun.SvodAsync("config", "show", "--config", dir["s.conf"]);
        Assert.True(hocon.ExitCode == 0, hocon.ToString());
        Assert.DoesNotContain("hunter2", hocon.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("k-123", hocon.Stdout, StringComparison.Ordinal);
        Assert.Contains("<masked>", hocon.Stdout, StringComparison.Ordinal);
        Assert.Contains("svod", hocon.Stdout, StringComparison.Ordinal);
        Assert.Contains("max-frames-per-call", hocon.Stdout, StringComparison.Ordinal);

        var json = await ProcessRun.SvodAsync("config", "show", "--format", "json", "--config", dir["s.conf"]);
        Assert.Contains("hunter2", json.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_file_exits_2_with_file_line_and_column()
    {
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(dir["broken.conf"], "svod {\n  lanes {\n    count = \"unterminated\n  }\n}\n");
        var run = await ProcessRun.SvodAsync("config", "show", "--config", dir["broken.conf"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{dir["broken.conf"]}:3:", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);

        var decode = await ProcessRun.SvodAsync("decode", "--config", dir["broken.conf"], "--model", "demo",
            "--frames", dir.Path);
        Assert.Equal(2, decode.ExitCode);
        Assert.Contains($"{dir["broken.conf"]}:3:", decode.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_take_their_defaults_from_the_configuration_and_flags_win()
    {
        var fromConfig = await ProcessRun.SvodAsync("demo", "--speed", "0", "--seconds", "0", "-D", "svod.lanes.count=3");
        Assert.True(fromConfig.ExitCode == 0, fromConfig.ToString());
        Assert.Contains("(3 lanes per call)", fromConfig.Stdout, StringComparison.Ordinal);

        var flag = await ProcessRun.SvodAsync("demo", "--speed", "0", "--seconds", "0", "-D", "svod.lanes.count=3",
            "--batch", "5");
        Assert.Contains("(5 lanes per call)", flag.Stdout, StringComparison.Ordinal);

        var bad = await ProcessRun.SvodAsync("demo", "-D", "svod.lanes.count=0");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("svod.lanes.count must be at least 1", bad.Stderr, StringComparison.Ordinal);
    }
}
