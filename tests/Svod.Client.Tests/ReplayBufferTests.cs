namespace Svod.Client.Tests;

/// <summary>The replay buffer holds every Frames message until a node acknowledges it as durable.</summary>
public sealed class ReplayBufferTests
{
    [Fact]
    public void An_ack_drops_the_chunks_wholly_below_its_offset()
    {
        var buffer = new ReplayBuffer();
        buffer.Add(0, 4, new NativePayload(16));
        buffer.Add(4, 4, new NativePayload(16));
        buffer.Add(8, 2, new NativePayload(8));
        Assert.Equal(10, buffer.Frames);

        buffer.DropBelow(0);
        Assert.Equal(10, buffer.Frames);
        buffer.DropBelow(5); // the chunk at 4 straddles the offset and stays whole
        Assert.Equal(6, buffer.Frames);
        Assert.Equal([4L, 8L], buffer.ToArray().Select(c => c.Offset));
        buffer.DropBelow(8);
        Assert.Equal([8L], buffer.ToArray().Select(c => c.Offset));
        buffer.DropBelow(3); // an older ack changes nothing
        Assert.Equal(2, buffer.Frames);
        buffer.DropBelow(10);
        Assert.Equal(0, buffer.Frames);
        Assert.Empty(buffer.ToArray());
        buffer.Recycle();
    }

    [Fact]
    public void Dropped_payloads_are_freed_only_when_recycled_and_release_frees_the_rest()
    {
        var buffer = new ReplayBuffer();
        var first = new NativePayload(12);
        first.GetSpan().Fill(7);
        var chunk = buffer.Add(0, 3, first);
        var second = new NativePayload(12);
        buffer.Add(3, 3, second);
        buffer.DropBelow(3);
        // Dropped, not recycled: a send that took the chunk before the Ack can still read it.
        Assert.Equal(Enumerable.Repeat((byte)7, 12), chunk.Data.ToByteArray());

        buffer.Recycle();
        Assert.Throws<ObjectDisposedException>(() => first.GetSpan());
        Assert.Equal(12, second.GetSpan().Length);

        buffer.Release();
        Assert.Equal(0, buffer.Frames);
        Assert.Empty(buffer.ToArray());
        Assert.Throws<ObjectDisposedException>(() => second.GetSpan());
        buffer.Release(); // nothing is freed twice
    }
}
