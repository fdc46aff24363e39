using Svod.Cluster.Configuration;
using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>Layering several files and command-line overrides, then resolving once over the whole.</summary>
public sealed class HoconLoadTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svod-hocon-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Later_files_win_and_objects_merge_across_files()
    {
        var first = Write("first.conf", "svod { lanes { count = 64, width = 8 }, name = first }");
        var second = Write("second.conf", "svod.lanes.count = 96\nsvod.extra = [1]");
        Json(HoconConfig.Load([first, second], environment: NoEnvironment),
            """{"svod": {"lanes": {"count": 96, "width": 8}, "name": "first", "extra": [1]}}""");
    }

    [Fact]
    public void Overrides_are_parsed_as_hocon_values_and_win_over_every_file()
    {
        var file = Write("a.conf", "svod.lanes.count = 64\na { b = old, c = kept }");
        var config = HoconConfig.Load([file], ["svod.lanes.count=128", "a.b=\"x y\"", "list=[1,2]", "d=${a.c}"],
            NoEnvironment);
        Json(config,
            """{"svod": {"lanes": {"count": 128}}, "a": {"b": "x y", "c": "kept"}, "list": [1, 2], "d": "kept"}""");
        Assert.Equal(128, config.GetInt("svod.lanes.count"));
    }

    [Fact]
    public void Substitutions_resolve_over_all_files_and_overrides_together()
    {
        var first = Write("first.conf", "dir = /tmp\nbin = ${dir}/bin\npath = [/bin]");
        var second = Write("second.conf", "path += ${bin}\nself = ${dir}");
        var config = HoconConfig.Load([first, second], ["dir=/opt", "path+=/x"], NoEnvironment);
        Json(config, """{"dir": "/opt", "bin": "/opt/bin", "path": ["/bin", "/opt/bin", "/x"], "self": "/opt"}""");
    }

    [Fact]
    public void A_reference_text_lies_below_every_file()
    {
        var file = Write("a.conf", "a = 2");
        var config = HoconConfig.Load([file], ["c=3"], NoEnvironment, "a = 1\nb = 1\nc = 1\nd = ${a}");
        Json(config, """{"a": 2, "b": 1, "c": 3, "d": 2}""");
    }

    [Fact]
    public void A_missing_file_and_a_bad_override_are_errors_with_their_origin()
    {
        var missing = Path.Combine(_directory, "missing.conf");
        var error = Assert.Throws<HoconException>(() => HoconConfig.Load([missing]));
        Assert.Equal($"{missing}: configuration file not found", error.Message);
        error = Assert.Throws<HoconException>(() => HoconConfig.Load([], ["a.b"]));
        At(error, "(override)", 1, 4, "expected '=' or ':' or '{' after key 'a.b'");
    }

    [Fact]
    public void No_files_give_an_empty_configuration()
    {
        Assert.Empty(HoconConfig.Load([]).Root.Keys);
    }
}
