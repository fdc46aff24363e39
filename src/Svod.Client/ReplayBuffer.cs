using Google.Protobuf;

namespace Svod.Client;

/// <summary>
/// The Frames messages of one utterance that a node has not acknowledged as durable, in offset order: what a replay
/// resends. Not thread-safe: its <see cref="UtteranceStream"/> guards it.
/// </summary>
internal sealed class ReplayBuffer
{
    private readonly Queue<Chunk> _chunks = new();

    /// <summary>Frames held.</summary>
    public long Frames { get; private set; }

    /// <summary>Keeps a message as sent: its payload is not copied (payloads are never written after encoding).
    /// </summary>
    public void Add(long offset, int frames, ByteString data)
    {
        _chunks.Enqueue(new Chunk(offset, frames, data));
        Frames += frames;
    }

    /// <summary>Drops every chunk that lies wholly below <paramref name="durableOffset"/>; a chunk that straddles it
    /// is kept whole (the node drops the frames it already has).</summary>
    public void DropBelow(long durableOffset)
    {
        while (_chunks.TryPeek(out var first) && first.Offset + first.Frames <= durableOffset)
        {
            _chunks.Dequeue();
            Frames -= first.Frames;
        }
    }

    public Chunk[] ToArray() => [.. _chunks];

    /// <summary>One Frames message: <paramref name="Frames"/> frames from <paramref name="Offset"/>.</summary>
    internal readonly record struct Chunk(long Offset, int Frames, ByteString Data);
}
