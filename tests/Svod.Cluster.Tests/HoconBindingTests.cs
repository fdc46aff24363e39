using Microsoft.Extensions.Configuration;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Tests;

/// <summary>Binding HOCON to options classes: HOCON's own value forms reach typed properties; mistakes are located.</summary>
public sealed class HoconBindingTests
{
    [Fact]
    public void Durations_booleans_sizes_lists_and_groups_bind_in_their_HOCON_form()
    {
        var hocon = HoconConfig.ParseString("""
            app {
              idle-timeout = 90s
              heartbeat = 500 ms
              enabled = on
              verbose = no
              buffer = 64 MiB
              retries = 3
              hosts = [a, "b c"]
              limits { max-channels = 20000, window = 2 minutes }
            }
            """, "app.conf");
        var options = HoconBinding.Bind<AppOptions>(hocon, "app");
        Assert.Equal(TimeSpan.FromSeconds(90), options.IdleTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Heartbeat);
        Assert.True(options.Enabled);
        Assert.False(options.Verbose);
        Assert.Equal(64L * 1024 * 1024, options.Buffer);
        Assert.Equal(3, options.Retries);
        Assert.Equal(["a", "b c"], options.Hosts);
        Assert.Equal(20000, options.Limits.MaxChannels);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Limits.Window);
    }

    [Fact]
    public void Unset_keys_keep_the_defaults_of_the_class()
    {
        var options = HoconBinding.Bind<AppOptions>(HoconConfig.ParseString("app.retries = 7", "app.conf"), "app");
        Assert.Equal(7, options.Retries);
        Assert.Equal(TimeSpan.FromSeconds(30), options.IdleTimeout);
        Assert.Equal(1024, options.Buffer);
        Assert.Null(options.Optional);
    }

    [Theory]
    [InlineData("app {\n  idle-timeout = soon\n}", "app.conf:2:", "duration")]
    [InlineData("app {\n  buffer = lots\n}", "app.conf:2:", "size")]
    [InlineData("app {\n  enabled = maybe\n}", "app.conf:2:", "boolean")]
    [InlineData("app {\n  limits { max-chanels = 1 }\n}", "app.conf:2:", "unknown setting app.limits.max-chanels")]
    public void Mistakes_are_reported_with_their_location(string text, string location, string what)
    {
        var hocon = HoconConfig.ParseString(text, "app.conf");
        var error = Assert.Throws<ConfigurationException>(() => HoconBinding.Bind<AppOptions>(hocon, "app"));
        Assert.Contains(location, error.Message, StringComparison.Ordinal);
        Assert.Contains(what, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    public sealed class AppOptions
    {
        [ConfigurationKeyName("idle-timeout")]
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

        [ConfigurationKeyName("heartbeat")]
        public TimeSpan Heartbeat { get; set; }

        [ConfigurationKeyName("enabled")]
        public bool Enabled { get; set; }

        [ConfigurationKeyName("verbose")]
        public bool Verbose { get; set; } = true;

        [ByteSize]
        [ConfigurationKeyName("buffer")]
        public long Buffer { get; set; } = 1024;

        [ConfigurationKeyName("retries")]
        public int Retries { get; set; }

        [ConfigurationKeyName("optional")]
        public int? Optional { get; set; }

        [ConfigurationKeyName("hosts")]
        public List<string> Hosts { get; set; } = [];

        [ConfigurationKeyName("limits")]
        public LimitOptions Limits { get; set; } = new();
    }

    public sealed class LimitOptions
    {
        [ConfigurationKeyName("max-channels")]
        public int MaxChannels { get; set; }

        [ConfigurationKeyName("window")]
        public TimeSpan Window { get; set; }
    }
}
