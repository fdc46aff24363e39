namespace Svod.Client;

/// <summary>
/// The order in which an utterance tries the nodes: rendezvous (highest random weight) hashing of the utterance id
/// with each node's URL. The same id and URLs give the same order in every process, whatever order the URLs were
/// listed in; and when a node is down only its own utterances move, spread evenly over the others.
/// </summary>
internal static class NodeRanking
{
    /// <summary>Indexes into <paramref name="nodes"/>, most preferred first.</summary>
    public static int[] Order(string utteranceId, IReadOnlyList<Uri> nodes)
    {
        var id = Fnv1a(utteranceId);
        var weights = new ulong[nodes.Count];
        var order = new int[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            weights[i] = Mix(id ^ Mix(Fnv1a(nodes[i].AbsoluteUri)));
            order[i] = i;
        }

        // Highest weight first; equal weights (practically never) by position, to stay deterministic.
        Array.Sort(order, (a, b) => weights[a] != weights[b] ? weights[b].CompareTo(weights[a]) : a.CompareTo(b));
        return order;
    }

    /// <summary>FNV-1a over the UTF-16 code units: stable across processes, unlike <see cref="string.GetHashCode()"/>.
    /// </summary>
    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>SplitMix64's finalizer: FNV's low bits mix poorly on their own.</summary>
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
