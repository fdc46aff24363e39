namespace Svod.Cluster.Node;

internal sealed partial class Session
{
    // Utterances of this connection that ended (the node told the client why, or sent the final), with when. Until
    // the client sends Start for the id again here, the Frames, Finalize and Cancel it sent before it heard are
    // dropped: answered NOT_FOUND, they would reach the client after it began replaying the utterance on this same
    // connection, and end the replay. Entries older than the idle timeout go as others come (the client has heard
    // long before).
    private readonly Dictionary<string, long> _ended = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, long At)> _endedOrder = new();

    /// <summary>Called under <see cref="_gate"/> when an utterance leaves the connection.</summary>
    private void RememberEnded(string id)
    {
        var time = node.Actors.TimeProvider;
        var now = time.GetTimestamp();
        _ended[id] = now;
        _endedOrder.Enqueue((id, now));
        while (_endedOrder.TryPeek(out var oldest) && time.GetElapsedTime(oldest.At, now) > options.IdleTimeout)
        {
            _endedOrder.Dequeue();
            if (_ended.TryGetValue(oldest.Id, out var at) && at == oldest.At)
            {
                _ended.Remove(oldest.Id);
            }
        }
    }

    /// <summary>Called under <see cref="_gate"/>: the utterance ended on this connection and was not opened again.
    /// </summary>
    private bool Ended(string id) => _ended.ContainsKey(id);
}
