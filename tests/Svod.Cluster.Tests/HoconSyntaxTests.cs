using Svod.Cluster.Configuration;
using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>HOCON.md "Syntax": comments, root braces, separators, commas, whitespace, paths as keys.</summary>
public sealed class HoconSyntaxTests
{
    [Fact]
    public void Valid_json_parses_to_the_same_tree()
    {
        const string json = """
            {"name": "svod", "port": 8080, "ratio": -1.5e3, "ok": true, "off": false, "none": null,
             "list": [1, "two", {"three": [3]}], "nested": {"empty": {}, "also": []}, "esc": "a\"b\\c\u00e9\n"}
            """;
        Parses(json, json);
    }

    [Fact]
    public void Hash_and_double_slash_start_comments_outside_quoted_strings()
    {
        Parses("""
            # a comment
            a = 1 // another
            b = "# not // a comment" # trailing
            // c = 3
            d = http # the value is the unquoted string before the comment
            """, """{"a": 1, "b": "# not // a comment", "d": "http"}""");
    }

    [Fact]
    public void Root_braces_may_be_omitted()
    {
        Parses("a = 1\nb { c = 2 }", """{"a": 1, "b": {"c": 2}}""");
        Parses("{ a = 1, b { c = 2 } }", """{"a": 1, "b": {"c": 2}}""");
        Parses("", "{}");
        Parses("# only a comment\n", "{}");
    }

    [Fact]
    public void Equals_colon_or_nothing_before_an_object_separate_key_and_value()
    {
        Parses("""a = 1, b : 2, c { d = 3 }, "e" {}, f = { g : 4 }""",
            """{"a": 1, "b": 2, "c": {"d": 3}, "e": {}, "f": {"g": 4}}""");
    }

    [Fact]
    public void A_value_may_follow_its_separator_on_the_next_line()
    {
        Parses("a =\n  1\nb :\n  [2]", """{"a": 1, "b": [2]}""");
    }

    [Theory]
    [InlineData("a = [1,2,3,]")]
    [InlineData("a = [1,2,3]")]
    [InlineData("a = [1\n2\n3]")]
    [InlineData("a = [\n  1,\n  2\n  3\n]")]
    public void Commas_are_optional_between_newline_separated_elements_and_one_trailing_comma_is_ignored(string hocon)
    {
        Parses(hocon, """{"a": [1, 2, 3]}""");
    }

    [Theory]
    [InlineData("a = 1\nb = 2")]
    [InlineData("a = 1, b = 2,")]
    [InlineData("{ a = 1\n b = 2, }")]
    public void The_comma_rules_apply_to_object_fields_too(string hocon)
    {
        Parses(hocon, """{"a": 1, "b": 2}""");
    }

    [Theory]
    [InlineData("a = [1,2,3,,]")]
    [InlineData("a = [,1,2,3]")]
    [InlineData("a = [1,,2,3]")]
    [InlineData("a = 1,, b = 2")]
    [InlineData(", a = 1")]
    public void Initial_double_and_repeated_trailing_commas_are_invalid(string hocon)
    {
        var error = Fails(hocon);
        Assert.EndsWith("unexpected ','", error.Message);
    }

    [Fact]
    public void Unicode_separators_tabs_and_the_bom_are_whitespace()
    {
        Parses("\uFEFFa\u00A0=\t1\u2007,\u001Fb = 2\r\n", """{"a": 1, "b": 2}""");
    }

    [Fact]
    public void Dotted_keys_expand_to_nested_objects_that_merge()
    {
        Parses("foo.bar.baz : 42\na.x : 42, a.y : 43", """{"foo": {"bar": {"baz": 42}}, "a": {"x": 42, "y": 43}}""");
    }

    [Fact]
    public void Quoted_path_segments_keep_their_dots_and_may_be_empty()
    {
        Parses("""
            "a.b".c = 1
            foo.bar."hello.world" = 2
            x."".y = 3
            "" = 4
            """, """{"a.b": {"c": 1}, "foo": {"bar": {"hello.world": 2}}, "x": {"": {"y": 3}}, "": 4}""");
    }

    [Fact]
    public void Keys_are_path_expressions_so_whitespace_numbers_and_booleans_become_strings()
    {
        Parses("a b c : 42\ntrue : 1\n3 : 2\n3.14 : 3\nfoo\"10.0\" : 4\n10.0foo : 5",
            """{"a b c": 42, "true": 1, "3": {"14": 3}, "foo10.0": 4, "10": {"0foo": 5}}""");
    }

    [Theory]
    [InlineData("a..b = 1")]
    [InlineData(".a = 1")]
    [InlineData("a. = 1")]
    public void Empty_unquoted_path_elements_are_invalid(string hocon)
    {
        Assert.Contains("empty path element", Fails(hocon).Message);
    }

    [Fact]
    public void Include_is_only_special_at_the_start_of_a_key()
    {
        Parses("""
            foo include : 42
            bar : include
            list = [ include ]
            "include" : 1
            includes = 2
            """, """{"foo include": 42, "bar": "include", "list": ["include"], "include": 1, "includes": 2}""");
    }

    [Fact]
    public void Closing_braces_must_balance()
    {
        Assert.EndsWith("unbalanced '}'", Fails("a = 1\n}").Message);
        Assert.Contains("expected '}' to close the object opened at 1:5", Fails("a = {\n b = 1\n").Message);
        Assert.Contains("expected ']' to close the array opened at 1:5", Fails("a = [1, 2").Message);
    }

    [Fact]
    public void The_root_must_be_an_object()
    {
        Assert.Contains("must be an object", Fails("[1, 2]").Message);
    }
}
