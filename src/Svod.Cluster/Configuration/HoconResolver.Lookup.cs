namespace Svod.Cluster.Configuration;

internal sealed partial class HoconResolver
{
    // Children of merge-stack views, built once so that their resolution is memoized like any other node.
    private readonly Dictionary<(HoconNode Node, int Count, string Key), HoconNode?> _children = [];

    /// <summary>
    /// Tree (at the include prefix, then as written), then the environment. Null when undefined and optional.
    /// </summary>
    private HoconValue? ResolveSubstitution(HoconSubstitution substitution)
    {
        _lookups.Push(substitution);
        try
        {
            if (substitution.Prefix.Count > 0
                && Lookup([.. substitution.Prefix, .. substitution.Path]) is { } relocated)
            {
                return relocated;
            }

            if (Lookup(substitution.Path) is { } found)
            {
                return found;
            }

            if (_environment(string.Join('.', substitution.Path)) is { } variable)
            {
                return HoconScalar.String(substitution.Origin, variable);
            }

            return substitution.Optional
                ? null
                : throw new HoconException(substitution.Origin, $"unresolved substitution {substitution}");
        }
        finally
        {
            _lookups.Pop();
        }
    }

    /// <summary>
    /// Walks the unresolved tree along <paramref name="path"/>, resolving only what lies on the way, so that
    /// `bar { foo = 42, baz = ${bar.foo} }` does not need all of `bar` to resolve `baz`.
    /// </summary>
    private HoconValue? Lookup(IReadOnlyList<string> path)
    {
        View? view = View.Of(_root);
        var walked = "";
        foreach (var key in path)
        {
            view = LookBack(view.Value, walked);
            if (view is null)
            {
                return null;
            }

            view = Child(view.Value, key, walked);
            if (view is null)
            {
                return null;
            }

            walked = HoconPath.Append(walked, key);
        }

        view = LookBack(view.Value, walked);
        return view is null ? null : Resolve(view.Value, walked, fromLookup: true);
    }

    /// <summary>
    /// A field that is being resolved and may refer to itself is seen without its own value: a merge stack shows
    /// only the layers below the one being resolved; a single value shows nothing.
    /// </summary>
    private View? LookBack(View view, string path)
    {
        if (view.Node is HoconMergeStack stack)
        {
            for (var i = 0; i < view.Count; i++)
            {
                var layer = stack.Layers[i];
                if (layer.IsSelfReferential && _active.Contains((layer, 0)))
                {
                    return i > 0 ? new View(stack, i) : NothingBelow(layer, path);
                }
            }

            return view;
        }

        return view.Node.IsSelfReferential && _active.Contains((view.Node, view.Count))
            ? NothingBelow(view.Node, path)
            : view;
    }

    /// <summary>
    /// A self-reference with no previous value is undefined (`a = ${?a} [1]`, or an environment variable for
    /// `PATH = ${PATH}":/x"`). When other fields lie between (`a = ${b}, b = ${a}`) it is a cycle, reported unless
    /// the substitution closing it is optional.
    /// </summary>
    private View? NothingBelow(HoconNode node, string path)
    {
        var start = _frames.FindIndex(f => f.Node == node);
        var direct = !_frames.Skip(start + 1).Any(f => f.FromLookup);
        return direct || _lookups.Peek().Optional ? null : throw Cycle(start, path);
    }

    private HoconException Cycle(int start, string path)
    {
        var chain = new List<string>();
        foreach (var frame in _frames.Skip(Math.Max(start, 0)).Select(f => f.Path))
        {
            if (chain.Count == 0 || chain[^1] != frame)
            {
                chain.Add(frame);
            }
        }

        chain.Add(path);

        var origin = _lookups.Count > 0 ? _lookups.Peek().Origin : _root.Origin;
        return new HoconException(origin, $"substitution cycle: {string.Join(" -> ", chain)}");
    }

    private View? Child(View view, string key, string path)
    {
        switch (view.Node)
        {
            case HoconObjectNode node:
                return node.TryGet(key, out var child) ? View.Of(child) : null;
            case HoconMergeStack stack:
                return ChildOfLayers(stack, view.Count, key, path) is { } merged ? View.Of(merged) : null;
            case HoconArrayNode:
                return null;
            default:
                var value = view.Node is HoconLiteral literal ? literal.Value : Resolve(view, path, fromLookup: true);
                return value is HoconObject resolved && resolved.TryGetValue(key, out var field)
                    ? View.Of(new HoconLiteral(field))
                    : null;
        }
    }

    /// <summary>
    /// The field <paramref name="key"/> of the lowest <paramref name="count"/> layers, top down: objects contribute
    /// their field and let the layers below contribute too; the first non-object hides everything below.
    /// </summary>
    private HoconNode? ChildOfLayers(HoconMergeStack stack, int count, string key, string path)
    {
        if (_children.TryGetValue((stack, count, key), out var cached))
        {
            return cached;
        }

        var found = new List<HoconNode>();
        for (var i = count - 1; i >= 0; i--)
        {
            var layer = stack.Layers[i];
            if (layer is HoconObjectNode node)
            {
                if (node.TryGet(key, out var child))
                {
                    found.Add(child);
                }

                continue;
            }

            if (layer is HoconArrayNode)
            {
                break;
            }

            var value = layer is HoconLiteral literal ? literal.Value : Resolve(View.Of(layer), path, fromLookup: true);
            if (value is null)
            {
                continue;
            }

            if (value is not HoconObject resolved)
            {
                break;
            }

            if (resolved.TryGetValue(key, out var field))
            {
                found.Add(new HoconLiteral(field));
            }
        }

        found.Reverse();
        var layers = found.SelectMany(n => n is HoconMergeStack s ? s.Layers : [n]).ToList();
        var result = layers.Count switch
        {
            0 => null,
            1 => layers[0],
            _ => new HoconMergeStack(layers),
        };
        _children[(stack, count, key)] = result;
        return result;
    }
}
