using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>HOCON.md "Value concatenation": strings, arrays and objects.</summary>
public sealed class HoconConcatenationTests
{
    [Fact]
    public void Whitespace_between_simple_values_is_kept_and_around_them_dropped()
    {
        Parses("a =   foo bar  baz   \nb = foo \"bar\"   \"\"baz\nc = 1 2\t3",
            """{"a": "foo bar  baz", "b": "foo bar   baz", "c": "1 2\t3"}""");
    }

    [Fact]
    public void Simple_values_concatenate_as_written()
    {
        Parses("a = true foo\nb = null x\nc = 1e5 x\nd = 10.0bar\ne = 500 ms",
            """{"a": "true foo", "b": "null x", "c": "1e5 x", "d": "10.0bar", "e": "500 ms"}""");
    }

    [Fact]
    public void Whitespace_separated_array_elements_are_one_concatenated_string()
    {
        Parses("a = [ 1 2 3 4 ]\nb = [ 1\n 2\n 3\n 4 ]", """{"a": ["1 2 3 4"], "b": [1, 2, 3, 4]}""");
    }

    [Fact]
    public void Arrays_on_one_line_concatenate()
    {
        Parses("a = [1, 2] [3, 4]\nb = [ [ 1, 2 ] [ 3, 4 ] ]\nc = [ [ 1, 2 ]\n [ 3, 4 ] ]",
            """{"a": [1, 2, 3, 4], "b": [[1, 2, 3, 4]], "c": [[1, 2], [3, 4]]}""");
    }

    [Fact]
    public void Objects_on_one_line_merge()
    {
        Parses("a : { b : 1 } { c : 2 }\nd { x = 1 } { x = 2, y { z = 1 } } { y { w = 2 } }",
            """{"a": {"b": 1, "c": 2}, "d": {"x": 2, "y": {"z": 1, "w": 2}}}""");
    }

    [Fact]
    public void Mixing_objects_arrays_and_strings_is_an_error()
    {
        Assert.Contains("cannot concatenate", Fails("a = [1] {b = 1}").Message);
        Assert.Contains("cannot concatenate", Fails("a = foo [1]").Message);
        Assert.Contains("cannot concatenate", Fails("x = [1]\na = ${x} foo").Message);
    }
}
