using Svod.Cluster.Configuration;
using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>HOCON.md "API Recommendations": automatic type conversions, durations and sizes in bytes.</summary>
public sealed class HoconGetterTests
{
    [Theory]
    [InlineData("10", 10 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1.5", 15_000)]
    [InlineData("\"10\"", 10 * TimeSpan.TicksPerMillisecond)]
    [InlineData("10s", 10 * TimeSpan.TicksPerSecond)]
    [InlineData("500 ms", 500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("2 minutes", 2 * TimeSpan.TicksPerMinute)]
    [InlineData("1.5h", 90 * TimeSpan.TicksPerMinute)]
    [InlineData("3d", 3 * TimeSpan.TicksPerDay)]
    [InlineData("1 day", TimeSpan.TicksPerDay)]
    [InlineData("2 hours", 2 * TimeSpan.TicksPerHour)]
    [InlineData("1 hour", TimeSpan.TicksPerHour)]
    [InlineData("5m", 5 * TimeSpan.TicksPerMinute)]
    [InlineData("1 minute", TimeSpan.TicksPerMinute)]
    [InlineData("1 second", TimeSpan.TicksPerSecond)]
    [InlineData("30 seconds", 30 * TimeSpan.TicksPerSecond)]
    [InlineData("7 millis", 7 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1 millisecond", TimeSpan.TicksPerMillisecond)]
    [InlineData("250us", 2_500)]
    [InlineData("3 micros", 30)]
    [InlineData("2 microseconds", 20)]
    [InlineData("100ns", 1)]
    [InlineData("1000 nanoseconds", 10)]
    [InlineData("250 nanos", 2)]
    [InlineData("-1s", -TimeSpan.TicksPerSecond)]
    [InlineData("\" 2 s \"", 2 * TimeSpan.TicksPerSecond)]
    public void Durations_are_milliseconds_or_a_number_with_a_unit(string value, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), Parse($"d = {value}").GetDuration("d"));
    }

    [Theory]
    [InlineData("10 parsecs", "unknown unit 'parsecs'")]
    [InlineData("10S", "unknown unit 'S'")]
    [InlineData("ten s", "use a number of milliseconds")]
    [InlineData("true", "use a number of milliseconds")]
    public void Durations_reject_unknown_or_uppercase_units(string value, string problem)
    {
        var error = Assert.Throws<HoconException>(() => Parse($"d = {value}").GetDuration("d"));
        Assert.Contains("expected a duration", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData("10", 10L)]
    [InlineData("5B", 5L)]
    [InlineData("1 byte", 1L)]
    [InlineData("3 bytes", 3L)]
    [InlineData("512k", 512L * 1024)]
    [InlineData("512K", 512L * 1024)]
    [InlineData("1Ki", 1024L)]
    [InlineData("1 KiB", 1024L)]
    [InlineData("2 kibibytes", 2048L)]
    [InlineData("10kB", 10_000L)]
    [InlineData("1 kilobyte", 1_000L)]
    [InlineData("64 MiB", 64L << 20)]
    [InlineData("64M", 64L << 20)]
    [InlineData("2 MB", 2_000_000L)]
    [InlineData("2 megabytes", 2_000_000L)]
    [InlineData("1g", 1L << 30)]
    [InlineData("1 GiB", 1L << 30)]
    [InlineData("3 gibibytes", 3L << 30)]
    [InlineData("1GB", 1_000_000_000L)]
    [InlineData("1 TB", 1_000_000_000_000L)]
    [InlineData("1t", 1L << 40)]
    [InlineData("1 PiB", 1L << 50)]
    [InlineData("1 EiB", 1L << 60)]
    [InlineData("1.5k", 1536L)]
    [InlineData("\"8 MiB\"", 8L << 20)]
    public void Sizes_are_bytes_or_a_number_with_a_si_or_iec_unit(string value, long bytes)
    {
        Assert.Equal(bytes, Parse($"s = {value}").GetBytes("s"));
    }

    [Theory]
    [InlineData("1 ZB", "out of range")]
    [InlineData("16 EiB", "out of range")]
    [InlineData("10 kb", "unknown unit 'kb'")]
    [InlineData("-1k", "negative")]
    public void Sizes_reject_unknown_units_and_values_out_of_range(string value, string problem)
    {
        var error = Assert.Throws<HoconException>(() => Parse($"s = {value}").GetBytes("s"));
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("yes", true)]
    [InlineData("no", false)]
    [InlineData("on", true)]
    [InlineData("off", false)]
    [InlineData("\"true\"", true)]
    public void Booleans_accept_the_six_spec_words(string value, bool expected)
    {
        Assert.Equal(expected, Parse($"b = {value}").GetBoolean("b"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("maybe")]
    [InlineData("YES")]
    [InlineData("null")]
    public void Other_values_are_not_booleans(string value)
    {
        Assert.Throws<HoconException>(() => Parse($"b = {value}").GetBoolean("b"));
    }

    [Fact]
    public void Numbers_convert_from_numbers_and_numeric_strings()
    {
        var config = Parse("i = 42\ns = \"-7\"\nw = 1.0\ne = 1e3\nf = 2.5\nbig = 9000000000\nfromenv = ${N}",
            name => name == "N" ? "12" : null);
        Assert.Equal(42, config.GetInt("i"));
        Assert.Equal(-7, config.GetInt("s"));
        Assert.Equal(1, config.GetInt("w"));
        Assert.Equal(1000, config.GetLong("e"));
        Assert.Equal(2.5, config.GetDouble("f"));
        Assert.Equal(42.0, config.GetDouble("i"));
        Assert.Equal(9_000_000_000L, config.GetLong("big"));
        Assert.Equal(12, config.GetInt("fromenv"));
        Assert.Throws<HoconException>(() => config.GetInt("f"));
        Assert.Throws<HoconException>(() => config.GetInt("big"));
    }

    [Fact]
    public void Strings_convert_from_numbers_and_booleans_as_written()
    {
        var config = Parse("n = 1.0\nb = true\ns = text\nl = [a, 1, true, \"x y\"]\nz = null");
        Assert.Equal("1.0", config.GetString("n"));
        Assert.Equal("true", config.GetString("b"));
        Assert.Equal("text", config.GetString("s"));
        Assert.Equal(["a", "1", "true", "x y"], config.GetStringList("l"));
        Assert.Throws<HoconException>(() => config.GetString("z"));
        Assert.Throws<HoconException>(() => config.GetString("l"));
    }

    [Fact]
    public void Paths_may_quote_segments_and_null_counts_as_not_set()
    {
        var config = Parse("\"a.b\" { c = 1 }\nz = null\nsub { x = 1 }");
        Assert.True(config.HasPath("\"a.b\".c"));
        Assert.False(config.HasPath("a.b.c"));
        Assert.False(config.HasPath("z"));
        Assert.False(config.HasPath("sub.x.y"));
        Assert.Equal(HoconScalarKind.Null, ((HoconScalar)config.GetValue("z")).Kind);
        Assert.Equal(1, config.GetConfig("sub").GetInt("x"));
    }

    [Fact]
    public void An_unset_path_is_an_error_without_location()
    {
        var error = Assert.Throws<HoconException>(() => Parse("a { c = 1 }").GetValue("a.b"));
        Assert.Equal(("(config)", 0, 0), (error.File, error.Line, error.Column));
        Assert.Equal("(config): path 'a.b' is not set", error.Message);
        Assert.Contains("invalid path 'a..b'", Assert.Throws<HoconException>(() => Parse("").HasPath("a..b")).Message);
    }
}
