using Svod.Cluster.Configuration;
using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>Every error names the file, line and column where the problem is.</summary>
public sealed class HoconErrorTests
{
    [Fact]
    public void An_unterminated_string_points_at_its_opening_quote()
    {
        At(Fails("a = 1\nb = \"abc\nc = 2"), "a.conf", 2, 5, "unterminated quoted string");
        At(Fails("a = \"\"\"abc\n"), "a.conf", 1, 5, "unterminated triple-quoted string");
    }

    [Fact]
    public void A_reserved_character_is_a_bad_token()
    {
        At(Fails("a = 1\nb = x ^ y"), "a.conf", 2, 7, "reserved character '^' is not allowed outside quotes");
        At(Fails("a = $x"), "a.conf", 1, 5, "'$' must start a substitution '${...}'; quote strings that contain '$'");
        At(Fails("a = \"\\q\""), "a.conf", 1, 6, "invalid escape '\\q' in quoted string");
    }

    [Fact]
    public void A_key_without_a_separator_is_reported_at_what_follows_it()
    {
        At(Fails("a = 1\nx [1]"), "a.conf", 2, 3, "expected '=' or ':' or '{' after key 'x'");
        At(Fails("a = 1 b = 2"), "a.conf", 1, 9, "expected ',' or a newline after 'a', found '='");
    }

    [Fact]
    public void An_unresolved_substitution_names_its_path_and_place()
    {
        At(Fails("a = 1\nsvod {\n  x = ${svod.missing}\n}", "conf/a.conf"), "conf/a.conf", 3, 7,
            "unresolved substitution ${svod.missing}");
        At(Fails("foo = ${foo}"), "a.conf", 1, 7, "unresolved substitution ${foo}");
    }

    [Fact]
    public void A_substitution_cycle_names_the_paths()
    {
        At(Fails("a = ${b}\nb = ${a}"), "a.conf", 2, 5, "substitution cycle: a -> b -> a");
        At(Fails("a : ${b}\nb : ${c}\nc : ${a}"), "a.conf", 3, 5, "substitution cycle: a -> b -> c -> a");
        At(Fails("a : { b : ${a} }"), "a.conf", 1, 11, "substitution cycle: a -> a.b -> a");
        At(Fails("a : [${a}]"), "a.conf", 1, 6, "substitution cycle: a -> a");
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_reported_at_the_value()
    {
        var config = Parse("a {\n  port = abc\n  list = [1]\n}");
        var error = Assert.Throws<HoconException>(() => config.GetInt("a.port"));
        At(error, "test.conf", 2, 10, "'a.port' is the string \"abc\", expected an int");
        error = Assert.Throws<HoconException>(() => config.GetString("a.list"));
        At(error, "test.conf", 3, 10, "'a.list' is an array, expected a string");
        error = Assert.Throws<HoconException>(() => config.GetDuration("a.port"));
        Assert.StartsWith("test.conf:2:10: 'a.port' is the string \"abc\", expected a duration", error.Message);
    }

    [Fact]
    public void Substitutions_are_not_allowed_in_keys()
    {
        At(Fails("${a} = 1"), "a.conf", 1, 1, "substitutions are not allowed in keys");
    }
}
