using System.Text.Encodings.Web;
using System.Text.Json;

namespace Svod.Cluster.Cli;

/// <summary>One-line JSON objects for machine-readable output; non-ASCII text is written as is, not escaped.</summary>
internal static class JsonLines
{
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// One utterance's transcript as <c>svod decode</c> prints it: with <paramref name="json"/>
    /// <c>{"utterance", "text", "tokens", "frames"}</c>, else the name and the text separated by a tab. Every command
    /// that prints transcripts uses this, so their outputs compare line for line. A search's path adds its
    /// <c>"cost"</c> (and whether it reached a final state).
    /// </summary>
    public static string Utterance(bool json, string name, string text, ReadOnlySpan<int> tokens,
        ReadOnlySpan<int> frames, double? cost = null, bool? reachedFinal = null)
    {
        if (!json)
        {
            return $"{name}\t{text}";
        }

        var tokenArray = tokens.ToArray();
        var frameArray = frames.ToArray();
        return Write(w =>
        {
            w.WriteString("utterance", name);
            w.WriteString("text", text);
            w.WriteArray("tokens", tokenArray);
            w.WriteArray("frames", frameArray);
            if (cost is { } c)
            {
                w.WriteNumber("cost", Math.Round(c, 4));
            }

            if (reachedFinal is { } f)
            {
                w.WriteBoolean("reached_final", f);
            }
        });
    }

    public static void WriteArray(this Utf8JsonWriter writer, string name, ReadOnlySpan<int> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteNumberValue(v);
        }

        writer.WriteEndArray();
    }
}
