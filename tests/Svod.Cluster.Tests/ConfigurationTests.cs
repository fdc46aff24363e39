using Microsoft.Extensions.Configuration;
using Svod.Cluster.Cli;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Tests;

/// <summary>Svod's settings: the reference file, deployment files, overrides, binding and located errors.</summary>
public sealed class ConfigurationTests
{
    private static readonly string HoconDirectory = Path.Combine(RepositoryRoot.Path, "hocon");

    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void The_reference_file_documents_every_setting_with_the_default_of_its_options_class()
    {
        var reference = HoconConfig.Load([Path.Combine(HoconDirectory, "svod.conf")], environment: NoEnvironment);
        Assert.NotEmpty(SvodSettings.Schema);
        foreach (var setting in SvodSettings.Schema)
        {
            Assert.True(reference.HasPath(setting.Path), $"{setting.Path} is not documented in hocon/svod.conf");
            object value = setting.Type == typeof(int) ? reference.GetInt(setting.Path)
                : setting.Type == typeof(double) ? reference.GetDouble(setting.Path)
                : setting.Type == typeof(TimeSpan) ? reference.GetDuration(setting.Path)
                : setting.IsByteSize ? reference.GetBytes(setting.Path)
                : setting.Type == typeof(List<string>) ? string.Join(",", reference.GetStringList(setting.Path))
                : reference.GetString(setting.Path);
            var expected = setting.Default is List<string> list ? string.Join(",", list) : setting.Default;
            Assert.True(Equals(expected, value),
                $"{setting.Path}: svod.conf says {value}, the options class says {expected}");
        }

        // And nothing in the reference is unknown to the options (SvodSettings refuses unknown keys).
        var settings = SvodSettings.Load([Path.Combine(HoconDirectory, "svod.conf")], [], NoEnvironment);
        Assert.Equal(new SvodOptions().Lanes.Count, settings.Options.Lanes.Count);
    }

    [Fact]
    public void The_embedded_reference_is_the_file_in_the_repository()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(HoconDirectory, "svod.conf")), SvodSettings.ReferenceText);
    }

    [Fact]
    public void Every_file_in_the_hocon_folder_loads()
    {
        var files = Directory.GetFiles(HoconDirectory, "*.conf");
        Assert.True(files.Length >= 3, string.Join(", ", files));
        foreach (var file in files)
        {
            var settings = SvodSettings.Load([file], [], NoEnvironment);
            Assert.True(settings.Options.Lanes.Count >= 1, file);
        }
    }

    [Fact]
    public void Deployment_files_override_the_reference_and_read_the_environment()
    {
        var cluster = Path.Combine(HoconDirectory, "cluster.conf");
        var plain = SvodSettings.Load([cluster], [], NoEnvironment).Options;
        Assert.Equal(256, plain.Lanes.Count);
        Assert.Equal(32, plain.Lanes.MaxFramesPerCall);
        Assert.Equal(1, plain.Decoding.Threads);

        var fromEnvironment = SvodSettings.Load([cluster], [], name => name == "SVOD_LANES" ? "512" : null).Options;
        Assert.Equal(512, fromEnvironment.Lanes.Count);

        var single = SvodSettings.Load([Path.Combine(HoconDirectory, "single-node.conf")], [],
            name => name == "SVOD_THREADS" ? "6" : null).Options;
        Assert.Equal(6, single.Decoding.Threads);
        Assert.Equal(64, single.Lanes.Count);
    }

    [Fact]
    public void Later_files_win_and_defines_win_over_every_file()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["a.conf"], "svod.lanes { count = 10, max-frames-per-call = 7 }");
        File.WriteAllText(dir["b.conf"], "svod.lanes.count = 20");
        var options = SvodSettings.Load([dir["a.conf"], dir["b.conf"]], [], NoEnvironment).Options;
        Assert.Equal(20, options.Lanes.Count);
        Assert.Equal(7, options.Lanes.MaxFramesPerCall);

        options = SvodSettings.Load([dir["a.conf"], dir["b.conf"]], ["svod.lanes.count=30", "svod.decoding.backend=cpu"],
            NoEnvironment).Options;
        Assert.Equal(30, options.Lanes.Count);
        Assert.Equal("cpu", options.Decoding.Backend);
    }

    [Fact]
    public void IConfiguration_binding_works_unchanged_with_arrays_as_index_keys()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["app.conf"], """
            base = 40
            svod.lanes { count = ${base} "" , max-frames-per-call = 8 }
            sample { names = [alpha, "beta gamma"], nested = [{ port = 1 }, { port = 2 }], enabled = true }
            """);
        var configuration = new ConfigurationBuilder().AddHoconFile(dir["app.conf"]).Build();
        var options = configuration.GetSection(SvodOptions.Root).Get<SvodOptions>()!;
        Assert.Equal(40, options.Lanes.Count);
        Assert.Equal(8, options.Lanes.MaxFramesPerCall);
        Assert.Equal("auto", options.Decoding.Backend);
        Assert.Equal("beta gamma", configuration["sample:names:1"]);
        Assert.Equal("2", configuration["sample:nested:1:port"]);
        var sample = configuration.GetSection("sample").Get<Sample>()!;
        Assert.Equal(["alpha", "beta gamma"], sample.Names);
        Assert.Equal([1, 2], sample.Nested.Select(n => n.Port));
    }

    [Fact]
    public void An_unknown_setting_is_reported_with_its_location_and_the_known_ones()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["typo.conf"], "svod {\n  lanes {\n    cuont = 3\n  }\n}\n");
        var error = Assert.Throws<ConfigurationException>(() => SvodSettings.Load([dir["typo.conf"]], [], NoEnvironment));
        Assert.Contains($"{dir["typo.conf"]}:3:", error.Message, StringComparison.Ordinal);
        Assert.Contains("svod.lanes.cuont", error.Message, StringComparison.Ordinal);
        Assert.Contains("count, max-frames-per-call", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("svod.lanes.count = lots", "svod.lanes.count")]
    [InlineData("svod.lanes.count = 0", "svod.lanes.count must be at least 1")]
    [InlineData("svod.decoding.backend = tpu", "svod.decoding.backend must be cpu, cuda or auto")]
    [InlineData("svod.decoding.threads = -2", "svod.decoding.threads must be at least 1")]
    public void A_bad_value_names_the_key_and_where_it_was_set(string line, string named)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["bad.conf"], $"# a comment\n{line}\n");
        var error = Assert.Throws<ConfigurationException>(() => SvodSettings.Load([dir["bad.conf"]], [], NoEnvironment));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains($"{dir["bad.conf"]}:2:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_and_a_malformed_define_are_reported()
    {
        Assert.Contains("not found", Assert.Throws<ConfigurationException>(() =>
            SvodSettings.Load(["/no/such.conf"], [], NoEnvironment)).Message, StringComparison.Ordinal);
        Assert.Contains("key=value", Assert.Throws<ConfigurationException>(() =>
            SvodSettings.Load([], ["svod.lanes.count"], NoEnvironment)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("svod.security.api-key", true)]
    [InlineData("db.password", true)]
    [InlineData("svod.cluster.shared-secret", true)]
    [InlineData("auth.token", true)]
    [InlineData("svod.lanes.count", false)]
    [InlineData("password-policy.min-length", false)]
    public void Secret_keys_are_recognised_by_their_last_segment(string path, bool secret)
    {
        Assert.Equal(secret, ConfigCommand.IsSecret(path));
    }

    public sealed class Sample
    {
        public List<string> Names { get; set; } = [];

        public List<Endpoint> Nested { get; set; } = [];

        public bool Enabled { get; set; }
    }

    public sealed class Endpoint
    {
        public int Port { get; set; }
    }
}
