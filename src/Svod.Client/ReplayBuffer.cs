using Google.Protobuf;

namespace Svod.Client;

/// <summary>
/// The Frames messages of one utterance that a node has not acknowledged as durable, in offset order: what a replay
/// resends. Payloads are <see cref="NativePayload"/>s, freed only through <see cref="Recycle"/> and
/// <see cref="Release"/>, which the stream calls while it holds its send order, so that no send of the utterance can
/// be reading them. Not thread-safe: its <see cref="UtteranceStream"/> guards it.
/// </summary>
internal sealed class ReplayBuffer
{
    private readonly Queue<Chunk> _chunks = new();
    private readonly List<NativePayload> _retired = [];

    /// <summary>Frames held.</summary>
    public long Frames { get; private set; }

    /// <summary>Keeps a message's payload; the buffer owns it now.</summary>
    public Chunk Add(long offset, int frames, NativePayload payload)
    {
        var chunk = new Chunk(offset, frames, payload);
        _chunks.Enqueue(chunk);
        Frames += frames;
        return chunk;
    }

    /// <summary>Drops every chunk that lies wholly below <paramref name="durableOffset"/>; a chunk that straddles it
    /// is kept whole (the node drops the frames it already has). Their payloads wait for <see cref="Recycle"/>.
    /// </summary>
    public void DropBelow(long durableOffset)
    {
        while (_chunks.TryPeek(out var first) && first.Offset + first.Frames <= durableOffset)
        {
            _chunks.Dequeue();
            _retired.Add(first.Payload);
            Frames -= first.Frames;
        }
    }

    /// <summary>Frees the payloads of dropped chunks: only while no send of the utterance runs.</summary>
    public void Recycle()
    {
        foreach (var payload in _retired)
        {
            payload.Free();
        }

        _retired.Clear();
    }

    /// <summary>The utterance has ended: every payload is freed (only while no send of it runs).</summary>
    public void Release()
    {
        while (_chunks.TryDequeue(out var chunk))
        {
            _retired.Add(chunk.Payload);
        }

        Frames = 0;
        Recycle();
    }

    public Chunk[] ToArray() => [.. _chunks];

    /// <summary>One Frames message: <paramref name="Frames"/> frames from <paramref name="Offset"/>.</summary>
    internal readonly record struct Chunk(long Offset, int Frames, NativePayload Payload)
    {
        public ByteString Data => UnsafeByteOperations.UnsafeWrap(Payload.Memory);
    }
}
