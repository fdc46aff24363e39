using System.Diagnostics.CodeAnalysis;

namespace Svod.Cluster.Configuration;

/// <summary>An object of the unresolved tree; duplicate keys are merged as they are set.</summary>
internal sealed class HoconObjectNode(HoconOrigin origin) : HoconNode(origin)
{
    private readonly Dictionary<string, HoconNode> _fields = new(StringComparer.Ordinal);
    private readonly List<string> _keys = [];

    public IReadOnlyList<string> Keys => _keys;

    public HoconNode this[string key] => _fields[key];

    public bool TryGet(string key, [MaybeNullWhen(false)] out HoconNode value) => _fields.TryGetValue(key, out value);

    public void Set(string key, HoconNode value)
    {
        if (_fields.TryGetValue(key, out var previous))
        {
            _fields[key] = Merge(previous, value);
        }
        else
        {
            _keys.Add(key);
            _fields[key] = value;
        }
    }

    /// <summary>`a.b.c = v` is `a { b { c = v } }`.</summary>
    public void SetPath(IReadOnlyList<string> path, HoconNode value, HoconOrigin keyOrigin)
    {
        for (var i = path.Count - 1; i > 0; i--)
        {
            var wrapper = new HoconObjectNode(keyOrigin);
            wrapper.Set(path[i], value);
            value = wrapper;
        }

        Set(path[0], value);
    }

    /// <summary>
    /// Duplicate-key rule: objects merge, anything else replaces what was before. When either side is only known
    /// after substitution, both are kept in a <see cref="HoconMergeStack"/> for the resolver.
    /// </summary>
    public static HoconNode Merge(HoconNode older, HoconNode newer)
    {
        if (newer is HoconLiteral or HoconArrayNode)
        {
            return newer;
        }

        if (newer is HoconObjectNode newObject)
        {
            switch (older)
            {
                case HoconObjectNode oldObject:
                    return MergeObjects(oldObject, newObject);
                case HoconLiteral or HoconArrayNode:
                    return newer;
                case HoconMergeStack { Layers: [.., HoconObjectNode top] } stack:
                    return new HoconMergeStack([.. stack.Layers.Take(stack.Layers.Count - 1),
                        MergeObjects(top, newObject)]);
            }
        }

        return new HoconMergeStack([.. LayersOf(older), .. LayersOf(newer)]);
    }

    private static HoconObjectNode MergeObjects(HoconObjectNode older, HoconObjectNode newer)
    {
        var merged = new HoconObjectNode(newer.Origin);
        foreach (var key in older._keys)
        {
            merged.Set(key, older._fields[key]);
        }

        foreach (var key in newer._keys)
        {
            merged.Set(key, newer._fields[key]);
        }

        return merged;
    }

    private static IReadOnlyList<HoconNode> LayersOf(HoconNode node) =>
        node is HoconMergeStack stack ? stack.Layers : [node];
}
