using System.Text.Json;

namespace Svod.Gpu.Models;

/// <summary>
/// A GigaAM model config (its OmegaConf config dumped to JSON), read by dotted keys such as
/// <c>head.joint.joint_hidden</c>. A value that is an unresolved OmegaConf interpolation <c>${encoder.d_model}</c>
/// is resolved against the root, so configs dumped without <c>resolve=True</c> load too.
/// </summary>
internal sealed class ModelConfigJson
{
    private const int MaxInterpolationDepth = 16;

    private readonly JsonElement _root;

    private ModelConfigJson(JsonElement root, string path)
    {
        _root = root;
        Path = path;
    }

    /// <summary>The config file; every message starts with it.</summary>
    public string Path { get; }

    public static ModelConfigJson Load(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(
                    $"{path}: a JSON object was expected, found {document.RootElement.ValueKind}");
            }

            return new ModelConfigJson(document.RootElement.Clone(), path);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: bad JSON: {e.Message}", e);
        }
    }

    /// <summary>The value at a dotted key, or null when a segment is absent (a JSON null counts as absent).</summary>
    public JsonElement? Find(string key)
    {
        var current = _root;
        foreach (var segment in key.Split('.'))
        {
            current = Resolve(current, key, 0);
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return null;
            }
        }

        current = Resolve(current, key, 0);
        return current.ValueKind == JsonValueKind.Null ? null : current;
    }

    public bool Has(string key) => Find(key) is not null;

    public int RequirePositiveInt(string key) =>
        Find(key) is { } value ? PositiveInt(value, key) : throw Error($"missing {key}");

    public int OptionalPositiveInt(string key, int defaultValue) =>
        Find(key) is { } value ? PositiveInt(value, key) : defaultValue;

    public string? OptionalString(string key) => Find(key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        var value => throw Error($"{key} is {value.Value.GetRawText()}, expected a string"),
    };

    public string[]? OptionalStringArray(string key)
    {
        if (Find(key) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Error($"{key} is {Abbreviate(value)}, expected an array of strings");
        }

        var items = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            items[i] = item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw Error($"{key}[{i}] is {item.GetRawText()}, expected a string");
            i++;
        }

        return items;
    }

    public ModelFormatException Error(string what) => new($"{Path}: {what}");

    private int PositiveInt(JsonElement value, string key) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n > 0
            ? n
            : throw Error($"{key} is {Abbreviate(value)}, expected a positive integer");

    private JsonElement Resolve(JsonElement value, string key, int depth)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return value;
        }

        var text = value.GetString()!;
        if (!text.StartsWith("${", StringComparison.Ordinal) || text.IndexOf('}') != text.Length - 1)
        {
            return value;
        }

        if (depth >= MaxInterpolationDepth)
        {
            throw Error($"{key}: interpolation {text} does not resolve (a cycle?)");
        }

        var target = text[2..^1];
        var current = _root;
        foreach (var segment in target.Split('.'))
        {
            current = Resolve(current, key, depth + 1);
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                throw Error($"{key} is {text}, but {target} is not in the config");
            }
        }

        return Resolve(current, key, depth + 1);
    }

    private static string Abbreviate(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
