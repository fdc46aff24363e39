using Svod.Cluster.Configuration;
using static Svod.Cluster.Tests.HoconAssert;

namespace Svod.Cluster.Tests;

/// <summary>ToJson, ToHocon (round trip and masking) and Flatten for IConfiguration.</summary>
public sealed class HoconRenderingTests
{
    private const string Sample = """"
        svod {
          name = "quote \" backslash \\ newline \n tab \t é ✓"
          "a.b" = 1
          "include" = 2
          "" = empty-key
          "with space" = 3
          "1" = one
          -dash = 4
          numbers = [1.0, 1e5, -0.5, 0]
          flags { on = true, off = false, none = null }
          nested = [[1, 2], [], {}, { x = [ { y = z } ] }]
          empty {}
          db { password = hunter2, user = svod }
        }
        top = """multi
        line"""
        """";

    [Fact]
    public void To_json_writes_plain_json_with_numbers_as_written()
    {
        var json = Parse("a { b = 1.0, c = [true, null, \"x\"] }").ToJson(indented: false);
        Assert.Equal("""{"a":{"b":1.0,"c":[true,null,"x"]}}""", json);
    }

    [Fact]
    public void To_hocon_parses_back_to_the_same_tree()
    {
        var config = Parse(Sample);
        var hocon = config.ToHocon();
        Json(Parse(hocon), config.ToJson());
        Assert.Contains("svod {", hocon);
        Assert.Contains("\"a.b\" = 1", hocon);
        Assert.Contains("\"include\" = 2", hocon);
    }

    [Fact]
    public void To_hocon_masks_the_paths_the_mask_selects()
    {
        var config = Parse(Sample);
        var hocon = config.ToHocon(path => path.EndsWith("password", StringComparison.Ordinal) || path == "svod.flags");
        Assert.DoesNotContain("hunter2", hocon);
        Assert.Contains("password = <masked>", hocon);
        var reparsed = Parse(hocon);
        Assert.Equal("<masked>", reparsed.GetString("svod.db.password"));
        Assert.Equal("<masked>", reparsed.GetString("svod.flags"));
        Assert.Equal("svod", reparsed.GetString("svod.db.user"));
    }

    [Fact]
    public void Flatten_joins_keys_with_colons_and_indexes_array_items()
    {
        var pairs = Parse("""
            a {
              b = [1, { c = x }, [true]]
              d = null
              e {}
              f = []
              g { h = "1.0" }
            }
            """).Flatten().ToList();
        Assert.Equal(
            [
                new("a:b:0", "1"), new("a:b:1:c", "x"), new("a:b:2:0", "true"), new("a:d", null),
                new KeyValuePair<string, string?>("a:g:h", "1.0"),
            ],
            pairs);
    }
}
