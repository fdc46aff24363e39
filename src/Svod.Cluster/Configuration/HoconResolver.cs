namespace Svod.Cluster.Configuration;

/// <summary>
/// Turns the merged unresolved tree into values. Substitutions look up the final value of their path
/// ("look forward"), lazily so that an object may refer to its own fields; a field whose value refers to itself
/// sees the value it overrides instead ("look back"). Each node is resolved once (memoized), so every
/// substitution of one field sees the same value.
/// </summary>
internal sealed partial class HoconResolver
{
    private readonly HoconObjectNode _root;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<(HoconNode Node, int Count), HoconValue?> _resolved = [];
    private readonly HashSet<(HoconNode Node, int Count)> _active = [];
    private readonly List<Frame> _frames = [];
    private readonly Stack<HoconSubstitution> _lookups = new();

    private HoconResolver(HoconObjectNode root, Func<string, string?> environment)
    {
        _root = root;
        _environment = environment;
    }

    /// <summary>A node being resolved; <see cref="FromLookup"/> when a substitution asked for it.</summary>
    private readonly record struct Frame(HoconNode Node, int Count, string Path, bool FromLookup);

    /// <summary>A node, or the lowest <see cref="Count"/> layers of a merge stack (0 for other nodes).</summary>
    private readonly record struct View(HoconNode Node, int Count)
    {
        public static View Of(HoconNode node) => new(node, node is HoconMergeStack stack ? stack.Layers.Count : 0);
    }

    public static HoconObject Resolve(HoconObjectNode root, Func<string, string?> environment) =>
        (HoconObject)new HoconResolver(root, environment).Resolve(View.Of(root), "", fromLookup: false)!;

    /// <summary>The value of a node; null when it is undefined (an optional substitution that found nothing).</summary>
    private HoconValue? Resolve(View view, string path, bool fromLookup)
    {
        if (view.Node is HoconLiteral literal)
        {
            return literal.Value;
        }

        var key = (view.Node, view.Count);
        if (_resolved.TryGetValue(key, out var done))
        {
            return done;
        }

        if (!_active.Add(key))
        {
            throw Cycle(_frames.FindIndex(f => f.Node == view.Node && f.Count == view.Count), path);
        }

        _frames.Add(new Frame(view.Node, view.Count, path, fromLookup));
        HoconValue? value;
        try
        {
            value = view.Node switch
            {
                HoconObjectNode node => ResolveObject(node, path),
                HoconArrayNode node => ResolveArray(node, path),
                HoconSubstitution node => ResolveSubstitution(node),
                HoconConcatenation node => ResolveConcatenation(node, path),
                HoconMergeStack node => ResolveLayers(node, view.Count, path),
                _ => throw new InvalidOperationException($"unexpected node {view.Node.GetType().Name}"),
            };
        }
        finally
        {
            _frames.RemoveAt(_frames.Count - 1);
            _active.Remove(key);
        }

        _resolved[key] = value;
        return value;
    }

    private HoconObject ResolveObject(HoconObjectNode node, string path)
    {
        var keys = new List<string>(node.Keys.Count);
        var fields = new Dictionary<string, HoconValue>(node.Keys.Count, StringComparer.Ordinal);
        foreach (var key in node.Keys)
        {
            if (Resolve(View.Of(node[key]), HoconPath.Append(path, key), fromLookup: false) is { } value)
            {
                keys.Add(key);
                fields[key] = value;
            }
        }

        return new HoconObject(node.Origin, keys, fields);
    }

    private HoconArray ResolveArray(HoconArrayNode node, string path)
    {
        var items = new List<HoconValue>(node.Items.Count);
        foreach (var item in node.Items)
        {
            if (Resolve(View.Of(item), path, fromLookup: false) is { } value)
            {
                items.Add(value);
            }
        }

        return new HoconArray(node.Origin, items);
    }

    /// <summary>
    /// The top layer wins unless it is an object, which merges with what the layers below resolve to
    /// (when that is an object too). An undefined top layer leaves the value below.
    /// </summary>
    private HoconValue? ResolveLayers(HoconMergeStack stack, int count, string path)
    {
        var top = Resolve(View.Of(stack.Layers[count - 1]), path, fromLookup: false);
        if (count == 1)
        {
            return top;
        }

        if (top is null)
        {
            return Resolve(new View(stack, count - 1), path, fromLookup: false);
        }

        if (top is HoconObject topObject)
        {
            return Resolve(new View(stack, count - 1), path, fromLookup: false) is HoconObject below
                ? HoconObject.Merge(below, topObject)
                : topObject;
        }

        return top;
    }

    private HoconValue? ResolveConcatenation(HoconConcatenation node, string path)
    {
        var values = node.Pieces
            .Select(p => p is HoconWhitespace ? null : Resolve(View.Of(p), path, fromLookup: false))
            .ToList();
        var defined = node.Pieces.Zip(values).Where(p => p.Second is not null).ToList();
        if (defined.Count == 0)
        {
            return null;
        }

        var (firstPiece, first) = defined[0];
        if (first is HoconObject or HoconArray || defined.Any(p => p.Second is HoconObject or HoconArray))
        {
            var odd = defined.FirstOrDefault(p => p.Second!.GetType() != first!.GetType());
            if (odd.First is not null)
            {
                throw new HoconException(odd.First.Origin,
                    $"cannot concatenate {Describe(odd.Second!, odd.First)} with {Describe(first!, firstPiece)}");
            }

            return first is HoconObject
                ? defined.Select(p => (HoconObject)p.Second!).Aggregate(HoconObject.Merge)
                : new HoconArray(node.Origin, [.. defined.SelectMany(p => ((HoconArray)p.Second!).Items)]);
        }

        var text = string.Concat(node.Pieces.Zip(values).Select(p => p.First switch
        {
            HoconWhitespace whitespace => whitespace.Text,
            _ => (p.Second as HoconScalar)?.ConcatenationText ?? "",
        }));
        return HoconScalar.String(node.Origin, text);
    }

    private static string Describe(HoconValue value, HoconNode piece)
    {
        var type = value.TypeName[0] is 'a' or 'o' ? $"an {value.TypeName}" : $"a {value.TypeName}";
        return piece is HoconSubstitution substitution ? $"{substitution} ({type})" : type;
    }
}
