using Svod.Cluster.Actors;
using Svod.Cluster.Lanes;

namespace Svod.Cluster.Channels;

/// <summary>What a channel actor handles: client requests (from its session) and lane pool outcomes.</summary>
public abstract record ChannelMessage
{
    /// <summary>Frames of the utterance starting at frame <paramref name="Offset"/>, row-major [n, width]. When
    /// <paramref name="Rented"/>, the array comes from <c>ArrayPool&lt;float&gt;.Shared</c> and the actor returns it
    /// once it has copied or refused the frames (a message that never arrives leaves it to the GC).</summary>
    public sealed record FramesArrived(long Offset, ArraySegment<float> Values, bool Rented = false) : ChannelMessage;

    /// <summary>No more frames: answer the final once every frame is decoded.</summary>
    public sealed record FinalizeRequested : ChannelMessage;

    /// <summary>Abandon the utterance: no final follows.</summary>
    public sealed record CancelRequested : ChannelMessage;

    /// <summary>The client is gone (connection closed): release everything, send nothing.</summary>
    public sealed record ClientGone : ChannelMessage;

    public sealed record Decoded(LaneOutcome Outcome) : ChannelMessage;

    public sealed record DecodeFailed(Exception Error) : ChannelMessage;

    /// <summary>The idle timer: no client message for the idle timeout.</summary>
    public sealed record IdleCheck : ChannelMessage;

    /// <summary>The snapshot writer wants the channel's state: answered with the snapshot at the last frame boundary
    /// the actor knows (once its work in flight is back), or null when there is nothing new.</summary>
    public sealed record SnapshotRequested(Reply<Persistence.ChannelSnapshot?> Reply) : ChannelMessage;

    /// <summary>The first <paramref name="Frames"/> frames are durable: tell the client (Ack).</summary>
    public sealed record SnapshotDurable(long Frames) : ChannelMessage;

    /// <summary>The store refused a write: this node no longer owns the utterance's shard.</summary>
    public sealed record ShardLost(string Reason) : ChannelMessage;
}
