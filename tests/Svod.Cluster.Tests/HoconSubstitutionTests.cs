using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>HOCON.md "Substitutions", "Self-Referential Substitutions" and "The += field separator".</summary>
public sealed class HoconSubstitutionTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Substitutions_look_up_absolute_paths_and_look_forward()
    {
        Parses("""
            a = ${b.c}
            b { c = 42, d = ${a} }
            e = ${b}
            """, """{"a": 42, "b": {"c": 42, "d": 42}, "e": {"c": 42, "d": 42}}""");
    }

    [Fact]
    public void A_lone_substitution_keeps_the_type_of_its_value()
    {
        Parses("n = 1.50\nt = true\nz = null\nl = [1]\na = ${n}\nb = ${t}\nc = ${z}\nd = ${l}",
            """{"n": 1.50, "t": true, "z": null, "l": [1], "a": 1.50, "b": true, "c": null, "d": [1]}""");
    }

    [Fact]
    public void Substitutions_in_a_concatenation_become_strings()
    {
        Parses("""
            animal.favorite = cat
            n = 1.50
            key : ${animal.favorite} is my favorite animal
            quoted : ${animal.favorite}" is my favorite animal"
            mixed : v${n}-${animal.favorite}
            """, """
            {"animal": {"favorite": "cat"}, "n": 1.50, "key": "cat is my favorite animal",
             "quoted": "cat is my favorite animal", "mixed": "v1.50-cat"}
            """);
    }

    [Fact]
    public void Substitutions_are_not_parsed_inside_quoted_strings()
    {
        Parses("a = 1\nb = \"${a}\"", """{"a": 1, "b": "${a}"}""");
    }

    [Fact]
    public void Quoted_segments_in_substitution_paths_keep_their_dots()
    {
        Parses("\"a.b\" { c = 1 }\nx = ${\"a.b\".c}", """{"a.b": {"c": 1}, "x": 1}""");
    }

    [Fact]
    public void An_object_may_refer_to_its_own_fields()
    {
        Parses("""
            bar : { foo : 42,
                    baz : ${bar.foo}
                  }
            bar : { foo : 43 }
            """, """{"bar": {"foo": 43, "baz": 43}}""");
    }

    [Fact]
    public void Mutually_referring_objects_look_forward()
    {
        Parses("""
            bar : { a : ${foo.d}, b : 1 }
            bar.b = 3
            foo : { c : ${bar.b}, d : 2 }
            foo.d = 4
            """, """{"bar": {"a": 4, "b": 3}, "foo": {"c": 3, "d": 4}}""");
    }

    [Fact]
    public void An_undefined_optional_substitution_removes_the_field_or_element()
    {
        Parses("a = ${?missing}\nb = [1, ${?missing}, 2]\nc = ${?x}${?y}", """{"b": [1, 2]}""");
    }

    [Fact]
    public void An_undefined_optional_substitution_leaves_the_previous_value()
    {
        Parses("a = 1\na = ${?missing}\nb { x = 1 }\nb = ${?missing}", """{"a": 1, "b": {"x": 1}}""");
    }

    [Fact]
    public void An_undefined_optional_substitution_in_a_concatenation_is_empty()
    {
        Parses("a = x${?missing}y\nb = ${?missing} [1]\nc = ${?missing} { d = 1 }",
            """{"a": "xy", "b": [1], "c": {"d": 1}}""");
    }

    [Fact]
    public void Missing_paths_fall_back_to_the_environment()
    {
        Parses("home = ${HOME}\ndir = ${HOME}/svod\nlevel = ${?LEVEL}\nempty = ${EMPTY}x",
            """{"home": "/home/u", "dir": "/home/u/svod", "empty": "x"}""",
            Environment(("HOME", "/home/u"), ("EMPTY", "")));
    }

    [Fact]
    public void A_value_in_the_configuration_hides_the_environment_even_when_null()
    {
        Parses("HOME = /config/home\na = ${HOME}\nUSER = null\nb = ${USER}",
            """{"HOME": "/config/home", "a": "/config/home", "USER": null, "b": null}""",
            Environment(("HOME", "/home/u"), ("USER", "u")));
    }

    [Fact]
    public void A_self_referential_field_sees_the_value_it_overrides()
    {
        Parses("""
            path : "a:b:c"
            path : ${path}":d"
            list = [1, 2]
            list = ${list} [3, 4]
            obj = { x : 1 }
            obj = ${obj} { y : 2 }
            data-center-generic = { cluster-size = 6 }
            data-center-east = ${data-center-generic} { name = "east" }
            """, """
            {"path": "a:b:c:d", "list": [1, 2, 3, 4], "obj": {"x": 1, "y": 2},
             "data-center-generic": {"cluster-size": 6}, "data-center-east": {"cluster-size": 6, "name": "east"}}
            """);
    }

    [Fact]
    public void Self_references_chain_through_several_overrides_and_nested_fields()
    {
        Parses("""
            a { x = 1 }
            a { x = ${a.x}0 }
            a { x = ${a.x}0 }
            p = [0]
            p = ${p} [1]
            p = ${p} [2]
            """, """{"a": {"x": "100"}, "p": [0, 1, 2]}""");
    }

    [Fact]
    public void A_self_reference_resolves_below_even_through_a_path()
    {
        Parses("""
            foo : { a : { c : 1 } }
            foo : ${foo.a}
            foo : { a : 2 }
            """, """{"foo": {"a": 2, "c": 1}}""");
    }

    [Fact]
    public void An_optional_self_reference_without_a_previous_value_is_undefined()
    {
        Parses("a = ${?a}foo\nb = ${?b}", """{"a": "foo"}""");
    }

    [Fact]
    public void A_self_reference_without_a_previous_value_falls_back_to_the_environment()
    {
        Parses("PATH = ${PATH}\":/opt/svod\"", """{"PATH": "/bin:/opt/svod"}""", Environment(("PATH", "/bin")));
    }

    [Fact]
    public void A_value_hidden_by_a_later_non_object_is_never_evaluated()
    {
        Parses("foo : ${does-not-exist}\nfoo : 42\nbar : ${bar}\nbar : 43", """{"foo": 42, "bar": 43}""");
    }

    [Fact]
    public void Plus_equals_appends_to_an_array_that_may_not_exist_yet()
    {
        Parses("""
            a += 1
            a += [2]
            b = [x]
            b += y
            c { d += 1 }
            c.d += 2
            """, """{"a": [1, [2]], "b": ["x", "y"], "c": {"d": [1, 2]}}""");
    }

    [Fact]
    public void Plus_equals_on_a_non_array_is_an_error()
    {
        Assert.Contains("cannot concatenate", Fails("a = 1\na += 2").Message);
    }

    [Fact]
    public void Whitespace_between_concatenated_objects_or_arrays_is_ignored()
    {
        Parses("x = { a = 1 }\ny = { b = 2 }\nz = ${x} ${y}\nl = [1]\nm = ${l} ${l}",
            """{"x": {"a": 1}, "y": {"b": 2}, "z": {"a": 1, "b": 2}, "l": [1], "m": [1, 1]}""");
    }

    [Fact]
    public void Every_reference_to_a_field_sees_the_same_value()
    {
        var config = Parse("a = 1\nb = 2\na = ${b}\nb = ${a}");
        Assert.Equal(config.GetValue("a").ToString(), config.GetValue("b").ToString());
    }
}
