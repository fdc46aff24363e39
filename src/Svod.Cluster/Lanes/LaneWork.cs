namespace Svod.Cluster.Lanes;

/// <summary>
/// Frames ready for one channel. <see cref="Frames"/> must stay valid and unchanged until the pool has delivered the
/// outcome for this work (the channel actor appends new frames behind them, and drops consumed ones only then); a
/// channel has at most one work item in the pool at a time.
/// </summary>
public sealed record LaneWork(int Channel, ReadOnlyMemory<float> Frames, ILaneClient Client)
{
    /// <summary><see cref="TimeProvider.GetTimestamp"/> when the work became ready (for queue delay).</summary>
    public long ReadyTimestamp { get; init; }
}

/// <summary>Receives outcomes on the lane pool's thread: implementations hand them on (an actor Tell) and return.</summary>
public interface ILaneClient
{
    void OnDecoded(LaneOutcome outcome);

    /// <summary>The call that held this channel's work failed (a backend fault) and the pool goes on serving. The
    /// channel's state may be partly advanced: the client reloads its last saved state or ends the utterance with
    /// INTERNAL.</summary>
    void OnFailed(int channel, Exception error);
}

/// <summary>What one call did for one channel: frames consumed from the work's start, tokens with their frames.</summary>
public sealed record LaneOutcome(int Channel, int FirstFrame, int FramesConsumed, int[] Tokens, int[] TokenFrames);
