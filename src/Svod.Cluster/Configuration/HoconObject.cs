namespace Svod.Cluster.Configuration;

/// <summary>A resolved object; <see cref="Keys"/> keeps the order in which keys were first set.</summary>
public sealed class HoconObject : HoconValue
{
    private readonly Dictionary<string, HoconValue> _fields;

    internal HoconObject(HoconOrigin origin, IReadOnlyList<string> keys, Dictionary<string, HoconValue> fields)
        : base(origin)
    {
        Keys = keys;
        _fields = fields;
    }

    public IReadOnlyList<string> Keys { get; }

    public HoconValue this[string key] => _fields.TryGetValue(key, out var value)
        ? value
        : throw new HoconException(Origin, $"key '{key}' is not set");

    internal override string TypeName => "object";

    public bool TryGetValue(string key, out HoconValue value) => _fields.TryGetValue(key, out value!);

    /// <summary>Duplicate-key semantics: fields of <paramref name="newer"/> win, objects on both sides merge.</summary>
    internal static HoconObject Merge(HoconObject older, HoconObject newer)
    {
        var keys = new List<string>(older.Keys);
        var fields = new Dictionary<string, HoconValue>(older._fields, StringComparer.Ordinal);
        foreach (var key in newer.Keys)
        {
            var value = newer._fields[key];
            if (!fields.TryGetValue(key, out var previous))
            {
                keys.Add(key);
                fields[key] = value;
            }
            else
            {
                fields[key] = previous is HoconObject a && value is HoconObject b ? Merge(a, b) : value;
            }
        }

        return new HoconObject(newer.Origin, keys, fields);
    }
}
