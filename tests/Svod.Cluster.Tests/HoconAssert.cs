using System.Text.Json.Nodes;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Tests;

/// <summary>Parses HOCON and compares the resolved tree with expected JSON as trees, not as text.</summary>
internal static class HoconAssert
{
    public static string? NoEnvironment(string name) => null;

    public static HoconConfig Parse(string hocon, Func<string, string?>? environment = null) =>
        HoconConfig.ParseString(hocon, "test.conf", environment: environment ?? NoEnvironment);

    public static void Parses(string hocon, string expectedJson, Func<string, string?>? environment = null) =>
        Json(Parse(hocon, environment), expectedJson);

    public static void Json(HoconConfig config, string expectedJson)
    {
        var expected = JsonNode.Parse(expectedJson);
        var actual = JsonNode.Parse(config.ToJson());
        Assert.True(JsonNode.DeepEquals(expected, actual),
            $"expected {expected?.ToJsonString()}\n     got {actual?.ToJsonString()}");
    }

    public static HoconException Fails(string hocon, string origin = "a.conf") =>
        Assert.Throws<HoconException>(() => HoconConfig.ParseString(hocon, origin, environment: NoEnvironment));

    public static void At(HoconException error, string file, int line, int column, string what)
    {
        Assert.Equal((file, line, column), (error.File, error.Line, error.Column));
        Assert.Equal($"{file}:{line}:{column}: {what}", error.Message);
    }
}
