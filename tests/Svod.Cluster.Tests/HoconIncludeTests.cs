using Svod.Cluster.Configuration;
using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>HOCON.md "Includes": syntax, merging, substitution fix-up, missing files, extensions, locations.</summary>
public sealed class HoconIncludeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svod-hocon-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private HoconConfig Load(string name, string text) =>
        HoconConfig.Load([Write(name, text)], environment: NoEnvironment);

    [Fact]
    public void Included_fields_take_the_place_of_the_include_statement()
    {
        Write("defaults.conf", "a = 1\nb { x = 1 }\nc = 1");
        Json(Load("main.conf", "a = 0\ninclude \"defaults.conf\"\nb { y = 2 }\nc = 2"),
            """{"a": 1, "b": {"x": 1, "y": 2}, "c": 2}""");
    }

    [Fact]
    public void File_and_required_forms_are_accepted_with_whitespace_inside_the_parentheses()
    {
        Write("x.conf", "x = 1");
        Write("y.conf", "y = 2");
        Write("z.conf", "z = 3");
        const string includes =
            "include file(\"x.conf\")\ninclude required( \"y.conf\" )\ninclude required(file(\"z.conf\"))";
        Json(Load("main.conf", includes),
            """{"x": 1, "y": 2, "z": 3}""");
    }

    [Fact]
    public void Relative_includes_are_located_next_to_the_including_file()
    {
        Write("conf/sub/child.conf", "child = 1\ninclude \"grand.conf\"");
        Write("conf/sub/grand.conf", "grand = 2");
        Write("grand.conf", "grand = wrong");
        Json(Load("conf/main.conf", "include \"sub/child.conf\""), """{"child": 1, "grand": 2}""");
    }

    [Fact]
    public void An_absolute_include_path_is_used_as_is()
    {
        var absolute = Write("elsewhere/abs.conf", "abs = true");
        Json(Load("main.conf", $"include {HoconPath.Quote(absolute)}"), """{"abs": true}""");
    }

    [Fact]
    public void An_include_inside_an_object_puts_its_keys_under_that_object()
    {
        Write("foo.conf", "x : 10, y : ${x}, z : ${top}");
        Json(Load("main.conf", "top = 1\na : { include \"foo.conf\" }\nb.c { include \"foo.conf\" }"),
            """{"top": 1, "a": {"x": 10, "y": 10, "z": 1}, "b": {"c": {"x": 10, "y": 10, "z": 1}}}""");
    }

    [Fact]
    public void Substitutions_in_an_included_file_see_later_overrides_of_their_fixed_up_path()
    {
        Write("foo.conf", "{ x : 10, y : ${x} }");
        Json(Load("main.conf", "a : { include \"foo.conf\" }\na : { x : 42 }"), """{"a": {"x": 42, "y": 42}}""");
    }

    [Fact]
    public void A_name_without_extension_loads_json_then_conf_and_merges_both()
    {
        Write("both.json", """{"a": 1, "b": {"x": 1}}""");
        Write("both.conf", "a = 2\nb.y = 2");
        Write("onlyjson.json", """{"j": [1, 2]}""");
        Json(Load("main.conf", "include \"both\"\ninclude \"onlyjson\""),
            """{"a": 2, "b": {"x": 1, "y": 2}, "j": [1, 2]}""");
    }

    [Fact]
    public void A_missing_include_is_ignored_unless_required()
    {
        Json(Load("main.conf", "include \"nope.conf\"\ninclude file(\"nope\")\na = 1"), """{"a": 1}""");
        var main = Write("main2.conf", "a = 1\n  include required(\"nope.conf\")");
        var error = Assert.Throws<HoconException>(() => HoconConfig.Load([main]));
        var looked = Path.Combine(_directory, "nope.conf");
        At(error, main, 2, 3, $"required include 'nope.conf' not found (looked for '{looked}')");
    }

    [Fact]
    public void An_include_cycle_is_an_error_naming_the_files()
    {
        var a = Write("a.conf", "include \"b.conf\"");
        var b = Write("b.conf", "x = 1\ninclude \"a.conf\"");
        var error = Assert.Throws<HoconException>(() => HoconConfig.Load([a]));
        At(error, b, 2, 1, $"include cycle: {a} -> {b} -> {a}");
    }

    [Fact]
    public void A_string_resolves_includes_against_its_base_directory()
    {
        Write("inc/part.conf", "p = 1");
        var config = HoconConfig.ParseString("include \"part.conf\"", "(text)", Path.Combine(_directory, "inc"));
        Json(config, """{"p": 1}""");
    }

    [Fact]
    public void An_include_must_name_a_quoted_string_and_an_included_file_an_object()
    {
        Assert.Contains("quoted file name", Fails("include foo").Message);
        Assert.Contains("not supported", Fails("include url(\"http://x/y.conf\")").Message);
        Write("array.json", "[1, 2]");
        var error = Assert.Throws<HoconException>(() => Load("main.conf", "include \"array.json\""));
        Assert.Contains("must be an object", error.Message);
    }
}
