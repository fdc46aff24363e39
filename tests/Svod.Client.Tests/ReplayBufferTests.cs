using Google.Protobuf;

namespace Svod.Client.Tests;

/// <summary>The replay buffer holds every Frames message until a node acknowledges it as durable.</summary>
public sealed class ReplayBufferTests
{
    [Fact]
    public void An_ack_drops_the_chunks_wholly_below_its_offset()
    {
        var buffer = new ReplayBuffer();
        buffer.Add(0, 4, ByteString.CopyFrom(new byte[16]));
        buffer.Add(4, 4, ByteString.CopyFrom(new byte[16]));
        buffer.Add(8, 2, ByteString.CopyFrom(new byte[8]));
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
    }
}
