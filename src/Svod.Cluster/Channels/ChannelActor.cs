using System.Buffers;
using Svod.Client.Protocol;
using Svod.Cluster.Actors;
using Svod.Cluster.Lanes;

namespace Svod.Cluster.Channels;

/// <summary>
/// One utterance's decoder state on this node: it leases a channel of a <see cref="LanePool"/>, buffers frames in
/// offset order (duplicates dropped, gaps refused), keeps one work item in the pool while frames are pending, turns
/// outcomes into partial results, closes segments by endpointing, and answers the final once every frame after
/// Finalize is decoded. Its channel is released whenever it stops, however it stops.
/// </summary>
public sealed partial class ChannelActor(ChannelSettings settings, LanePool pool, IUtteranceOutput output)
    : Actor<ChannelMessage>, ILaneClient
{
    private readonly int _width = settings.Model.Dims.EncoderDim;
    private readonly FrameBuffer _frames = new(settings.Model.Dims.EncoderDim);
    private readonly List<int> _tokens = [];
    private readonly List<int> _tokenFrames = [];
    private int _channel = -1;
    private bool _inFlight;
    private bool _finalizing;
    private bool _silent;
    private int _segment;
    private int _segmentStart;
    private long _lastTokenFrame = -1;
    private long _lastActivity;

    private string Id => settings.UtteranceId;

    protected override string Describe() => $"utterance {Id}";

    protected override async ValueTask PreStartAsync(CancellationToken cancellationToken)
    {
        var maxSymbols = settings.Options.MaxSymbolsPerStep;
        if (maxSymbols != 0 && maxSymbols != settings.Model.MaxSymbolsPerStep)
        {
            // The backend decodes every channel of a model with the model's limit.
            EndWith(ErrorCode.InvalidArgument,
                $"max_symbols_per_step {maxSymbols} differs from the model's {settings.Model.MaxSymbolsPerStep}; " +
                "send 0 to use the model's");
            return;
        }

        if (!pool.TryOpenChannel(out _channel))
        {
            _channel = -1;
            EndWith(ErrorCode.ResourceExhausted, $"all {pool.NumChannels} channels of this node are in use");
            return;
        }

        if (await TryRestoreAsync(cancellationToken))
        {
            Stop(); // answered from a retained final, or the snapshot could not be read
            return;
        }

        // Ready before announced: once the client sees Started, the idle clock is already running.
        Touch();
        Timers.StartPeriodic("idle", new ChannelMessage.IdleCheck(), settings.IdleTimeout / 4);
        SendStarted();
        AckRestored();
    }

    private void SendStarted() => output.Send(new ServerMessage
    {
        Started = new Started
        {
            UtteranceId = Id, FrameWidth = (uint)_width, FrameSeconds = settings.FrameSeconds,
            ResumeOffset = (ulong)_frames.Start,
        },
    });

    protected override ValueTask PostStopAsync()
    {
        if (_channel >= 0)
        {
            pool.CloseChannel(_channel);
            _channel = -1;
        }

        // Work still out reads the current array: leave the arrays to the GC rather than to the shared pool.
        if (!_inFlight)
        {
            _frames.Clear();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A restarted instance has lost its buffered frames: the utterance ends with INTERNAL (persistence
    /// makes this a resume from the last snapshot).</summary>
    protected override ValueTask PostRestartAsync(Exception reason, CancellationToken cancellationToken)
    {
        EndWith(ErrorCode.Internal, $"decoder state lost after a failure: {reason.Message}");
        return ValueTask.CompletedTask;
    }

    protected override ValueTask ReceiveAsync(ChannelMessage message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case ChannelMessage.FramesArrived frames:
                Touch();
                var kept = 0;
                try
                {
                    kept = OnFrames(frames);
                }
                finally
                {
                    if (frames.Rented)
                    {
                        ArrayPool<float>.Shared.Return(frames.Values.Array!);
                    }

                    output.FramesDone((frames.Values.Count / _width) - kept);
                }

                break;
            case ChannelMessage.FinalizeRequested:
                Touch();
                _finalizing = true;
                FinishIfDone();
                break;
            case ChannelMessage.CancelRequested:
                Forgotten();
                Stop();
                break;
            case ChannelMessage.ClientGone:
                _silent = true;
                Stop();
                break;
            case ChannelMessage.Decoded decoded:
                OnDecoded(decoded.Outcome);
                break;
            case ChannelMessage.DecodeFailed failed:
                EndWith(ErrorCode.Internal, $"decoding failed: {failed.Error.Message}");
                break;
            case ChannelMessage.IdleCheck:
                CheckIdle();
                break;
            case ChannelMessage.SnapshotRequested requested:
                OnSnapshotRequested(requested.Reply);
                break;
            case ChannelMessage.SnapshotDurable durable:
                OnSnapshotDurable(durable.Frames);
                break;
            case ChannelMessage.ShardLost lost:
                EndWith(ErrorCode.Unavailable, $"{lost.Reason}; send the utterance again: its new owner resumes it");
                break;
        }

        return ValueTask.CompletedTask;
    }

    void ILaneClient.OnDecoded(LaneOutcome outcome) => Self.Tell(new ChannelMessage.Decoded(outcome));

    void ILaneClient.OnFailed(int channel, Exception error) => Self.Tell(new ChannelMessage.DecodeFailed(error));

    private void Touch() => _lastActivity = ActorSystem.TimeProvider.GetTimestamp();

    private void CheckIdle()
    {
        if (ActorSystem.TimeProvider.GetElapsedTime(_lastActivity) >= settings.IdleTimeout)
        {
            Forgotten();
            EndWith(ErrorCode.DeadlineExceeded,
                $"no message from the client for {settings.IdleTimeout.TotalSeconds:0.#} s; the utterance is closed");
        }
    }

    /// <summary>An error that ends the utterance: its session forgets it first, so that a client answering the error
    /// with a new Start (UNAVAILABLE invites one) is never told the utterance is still open.</summary>
    private void EndWith(ErrorCode code, string text)
    {
        output.Ending();
        SendError(code, text);
        Stop();
    }

    private void SendError(ErrorCode code, string text)
    {
        if (!_silent)
        {
            output.Send(new ServerMessage { Error = new Error { UtteranceId = Id, Code = code, Message = text } });
        }
    }
}
