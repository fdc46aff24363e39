using Svod.Cluster.Configuration;
using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>HOCON.md: quoted, unquoted and multi-line strings, numbers, booleans and null as written.</summary>
public sealed class HoconStringTests
{
    [Fact]
    public void Quoted_strings_use_json_escapes()
    {
        Parses("""a = "q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9 $ { } #" """,
            """{"a": "q\" b\\ s/ \b\f\n\r\t A\u00e9 $ { } #"}""");
    }

    [Fact]
    public void Unquoted_strings_run_until_a_forbidden_character()
    {
        Parses("a = foo.bar-baz/qux_1\nb = /usr/local/bin\nc = a(b)%c;d<e>f'g~h|i",
            """{"a": "foo.bar-baz/qux_1", "b": "/usr/local/bin", "c": "a(b)%c;d<e>f'g~h|i"}""");
    }

    [Fact]
    public void A_keyword_or_number_only_counts_at_the_start_of_an_unquoted_string()
    {
        Parses("a = truefoo\nb = footrue\nc = 10.0bar\nd = bar10.0\ne = nullable",
            """{"a": "truefoo", "b": "footrue", "c": "10.0bar", "d": "bar10.0", "e": "nullable"}""");
    }

    [Fact]
    public void A_hyphen_that_starts_no_number_is_unquoted_text_as_in_the_reference_implementation()
    {
        Parses("a = -Xmx2g\nb = v-1\nc = -5-x\nd = -", """{"a": "-Xmx2g", "b": "v-1", "c": "-5-x", "d": "-"}""");
    }

    [Fact]
    public void Triple_quoted_strings_keep_newlines_and_backslashes_verbatim()
    {
        Parses("a = \"\"\"line 1\n  \"quoted\" \\n ${x}\nline 3\"\"\"",
            """{"a": "line 1\n  \"quoted\" \\n ${x}\nline 3"}""");
    }

    [Fact]
    public void Extra_quotes_at_the_end_of_a_triple_quoted_string_belong_to_it()
    {
        Parses("a = \"\"\"foo\"\"\"\"\nb = \"\"\"bar\"\"\"\"\"", """{"a": "foo\"", "b": "bar\"\""}""");
    }

    [Fact]
    public void Empty_quoted_string_is_not_a_triple_quote()
    {
        Parses("a = \"\"\nb = \"\" x", """{"a": "", "b": " x"}""");
    }

    [Fact]
    public void Numbers_keep_the_text_they_were_written_with()
    {
        var config = Parse("a = 1.0\nb = 1e5\nc = -0.5\nd = 10");
        foreach (var (path, text) in new[] { ("a", "1.0"), ("b", "1e5"), ("c", "-0.5"), ("d", "10") })
        {
            var value = Assert.IsType<HoconScalar>(config.GetValue(path));
            Assert.Equal(HoconScalarKind.Number, value.Kind);
            Assert.Equal(text, value.Text);
        }

        Assert.Contains("\"a\": 1.0", config.ToJson());
    }

    [Fact]
    public void Booleans_and_null_keep_their_type_when_alone()
    {
        var config = Parse("a = true\nb = false\nc = null\nd = \"true\"");
        Assert.Equal(HoconScalarKind.Boolean, ((HoconScalar)config.GetValue("a")).Kind);
        Assert.Equal(HoconScalarKind.Boolean, ((HoconScalar)config.GetValue("b")).Kind);
        Assert.Equal(HoconScalarKind.Null, ((HoconScalar)config.GetValue("c")).Kind);
        Assert.Null(((HoconScalar)config.GetValue("c")).Text);
        Assert.Equal(HoconScalarKind.String, ((HoconScalar)config.GetValue("d")).Kind);
    }
}
