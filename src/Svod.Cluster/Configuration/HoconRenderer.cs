using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Svod.Cluster.Configuration;

/// <summary>Writes a resolved tree as JSON, as HOCON, or as flat IConfiguration pairs.</summary>
internal static class HoconRenderer
{
    private const int IndentWidth = 2;
    private const string Masked = "<masked>";

    public static string ToJson(HoconValue value, bool indented)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
               {
                   Indented = indented,
                   Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
               }))
        {
            WriteJson(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteJson(Utf8JsonWriter writer, HoconValue value)
    {
        switch (value)
        {
            case HoconObject node:
                writer.WriteStartObject();
                foreach (var key in node.Keys)
                {
                    writer.WritePropertyName(key);
                    WriteJson(writer, node[key]);
                }

                writer.WriteEndObject();
                break;
            case HoconArray array:
                writer.WriteStartArray();
                foreach (var item in array.Items)
                {
                    WriteJson(writer, item);
                }

                writer.WriteEndArray();
                break;
            case HoconScalar { Kind: HoconScalarKind.String, Text: var text }:
                writer.WriteStringValue(text);
                break;
            case HoconScalar { Kind: HoconScalarKind.Null }:
                writer.WriteNullValue();
                break;
            case HoconScalar { Kind: HoconScalarKind.Boolean, Text: var text }:
                writer.WriteBooleanValue(text == "true");
                break;
            case HoconScalar { Text: var text }:
                WriteNumber(writer, text!);
                break;
        }
    }

    /// <summary>Numbers through the typed writers (so indentation stays right); decimal keeps the text's scale
    /// (<c>1.0</c> stays <c>1.0</c>). The tokenizer only makes numbers of JSON syntax, so the raw fallback is valid.
    /// </summary>
    private static void WriteNumber(Utf8JsonWriter writer, string text)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            writer.WriteNumberValue(whole);
        }
        else if (!text.Contains('e', StringComparison.OrdinalIgnoreCase) &&
                 decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact))
        {
            writer.WriteNumberValue(exact);
        }
        else
        {
            writer.WriteRawValue(text);
        }
    }

    /// <summary>
    /// Root fields at the top level without braces, objects as `key { ... }`, one array item per line, strings
    /// always quoted; a masked path prints &lt;masked&gt; (an unquoted string) instead of its value.
    /// </summary>
    public static string ToHocon(HoconObject root, Func<string, bool>? mask)
    {
        var builder = new StringBuilder();
        WriteFields(builder, root, "", 0, mask);
        return builder.ToString();
    }

    private static void WriteFields(StringBuilder builder, HoconObject node, string path, int depth,
        Func<string, bool>? mask)
    {
        foreach (var key in node.Keys)
        {
            var fieldPath = HoconPath.Append(path, key);
            builder.Append(' ', depth * IndentWidth).Append(HoconPath.RenderKey(key));
            var value = node[key];
            if (mask?.Invoke(fieldPath) == true)
            {
                builder.Append(" = ").Append(Masked);
            }
            else if (value is HoconObject { Keys.Count: > 0 })
            {
                builder.Append(' ');
                WriteHocon(builder, value, fieldPath, depth, mask);
            }
            else
            {
                builder.Append(" = ");
                WriteHocon(builder, value, fieldPath, depth, mask);
            }

            builder.Append('\n');
        }
    }

    private static void WriteHocon(StringBuilder builder, HoconValue value, string path, int depth,
        Func<string, bool>? mask)
    {
        switch (value)
        {
            case HoconObject { Keys.Count: 0 }:
                builder.Append("{}");
                break;
            case HoconObject node:
                builder.Append("{\n");
                WriteFields(builder, node, path, depth + 1, mask);
                builder.Append(' ', depth * IndentWidth).Append('}');
                break;
            case HoconArray { Items.Count: 0 }:
                builder.Append("[]");
                break;
            case HoconArray array:
                builder.Append("[\n");
                for (var i = 0; i < array.Items.Count; i++)
                {
                    var itemPath = HoconPath.Append(path, i.ToString(CultureInfo.InvariantCulture));
                    builder.Append(' ', (depth + 1) * IndentWidth);
                    if (mask?.Invoke(itemPath) == true)
                    {
                        builder.Append(Masked);
                    }
                    else
                    {
                        WriteHocon(builder, array.Items[i], itemPath, depth + 1, mask);
                    }

                    builder.Append('\n');
                }

                builder.Append(' ', depth * IndentWidth).Append(']');
                break;
            case HoconScalar { Kind: HoconScalarKind.String, Text: var text }:
                builder.Append(HoconPath.Quote(text!));
                break;
            case HoconScalar scalar:
                builder.Append(scalar.Text ?? "null");
                break;
        }
    }

    public static IEnumerable<KeyValuePair<string, string?>> Flatten(HoconObject root)
    {
        var pairs = new List<KeyValuePair<string, string?>>();
        Flatten(root, null, pairs);
        return pairs;
    }

    private static void Flatten(HoconValue value, string? key, List<KeyValuePair<string, string?>> pairs)
    {
        switch (value)
        {
            case HoconObject node:
                foreach (var field in node.Keys)
                {
                    Flatten(node[field], key is null ? field : $"{key}:{field}", pairs);
                }

                break;
            case HoconArray array:
                for (var i = 0; i < array.Items.Count; i++)
                {
                    Flatten(array.Items[i], $"{key}:{i}", pairs);
                }

                break;
            case HoconScalar scalar:
                pairs.Add(new KeyValuePair<string, string?>(key!, scalar.Text));
                break;
        }
    }
}
