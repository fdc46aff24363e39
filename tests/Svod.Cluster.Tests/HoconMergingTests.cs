using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>HOCON.md "Duplicate keys and object merging".</summary>
public sealed class HoconMergingTests
{
    [Fact]
    public void Duplicate_object_keys_merge_recursively()
    {
        Parses("""
            foo : { a : 42, deep { x = 1 } }
            foo : { b : 43, deep { y = 2 } }
            """, """{"foo": {"a": 42, "deep": {"x": 1, "y": 2}, "b": 43}}""");
    }

    [Fact]
    public void A_later_non_object_value_wins()
    {
        Parses("a = 1\na = 2\nb = [1]\nb = [2]\nc = {x = 1}\nc = 3", """{"a": 2, "b": [2], "c": 3}""");
    }

    [Fact]
    public void An_object_after_a_non_object_replaces_it()
    {
        Parses("a = 1\na = {x = 1}\nb = [1]\nb { y = 2 }", """{"a": {"x": 1}, "b": {"y": 2}}""");
    }

    [Fact]
    public void An_intermediate_non_object_prevents_the_merge()
    {
        Parses("""
            "foo" : { "a" : 42 },
            "foo" : null,
            "foo" : { "b" : 43 }
            """, """{"foo": {"b": 43}}""");
    }

    [Fact]
    public void Keys_keep_the_order_in_which_they_were_first_set()
    {
        var config = Parse("b = 1\na { y = 1 }\nc = 2\na { x = 2 }\nb = 3");
        Assert.Equal(["b", "a", "c"], config.Root.Keys);
        Assert.Equal(["y", "x"], config.GetConfig("a").Root.Keys);
    }
}
