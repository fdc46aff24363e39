using System.Diagnostics;
using System.Threading.Channels;
using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>
/// One utterance on a <see cref="SvodClient"/>: send frames in order, then <see cref="FinalizeAsync"/>; read partial
/// and final results from <see cref="Results"/>, which ends after the final that answers Finalize (the one with
/// <c>EndOfUtterance</c>; endpointing finals come before it). Every Frames message is kept in a replay buffer until a node acknowledges it as durable, so that the utterance can be replayed
/// on another node (or the same one, reconnected) when its node is lost; the application sees none of that but
/// <see cref="Replays"/>.
/// </summary>
public sealed partial class UtteranceStream
{
    private readonly SvodClient _client;
    private readonly ClientMessage _start;
    private readonly ClientMessage _resume;
    private readonly int[] _nodeOrder;
    private readonly FrameEncoding _encoding;
    private readonly Lock _gate = new();
    // Serializes what goes on the wire for this utterance: a replay's resend and SendFramesAsync never interleave.
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly TaskCompletionSource<Started> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<Result> _results =
        Channel.CreateUnbounded<Result>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _ended = new();
    private readonly ReplayBuffer _buffer = new();
    private readonly ResultFilter _filter = new();
    private Started? _first;
    private long _framesSent;
    private int _replays;
    private bool _finalizing;
    private bool _done;
    // The endpoint of the node that owns the utterance's shard, as a shard map or a Redirect said; -1 when unknown.
    private int _preferred;

    internal UtteranceStream(SvodClient client, Start start, int[] nodeOrder, int owner)
    {
        _client = client;
        _preferred = owner;
        _start = new ClientMessage { Start = start };
        var resume = start.Clone();
        resume.Resume = true;
        _resume = new ClientMessage { Start = resume };
        _nodeOrder = nodeOrder;
        _encoding = start.Options.Encoding;
        UtteranceId = start.UtteranceId;
    }

    /// <summary>The client's id of the utterance.</summary>
    public string UtteranceId { get; }

    /// <summary>Floats per frame the node's model expects.</summary>
    public int FrameWidth => (int)_first!.FrameWidth;

    /// <summary>Seconds one frame covers.</summary>
    public float FrameSeconds => _first!.FrameSeconds;

    /// <summary>Frames given to <see cref="SendFramesAsync"/> so far: the offset of the next frame.</summary>
    public long FramesSent
    {
        get
        {
            lock (_gate)
            {
                return _framesSent;
            }
        }
    }

    /// <summary>Frames held for a replay: those sent and not yet acknowledged as durable by a node.</summary>
    public long ReplayBufferFrames
    {
        get
        {
            lock (_gate)
            {
                return _buffer.Frames;
            }
        }
    }

    /// <summary>How many times the utterance was replayed on a node after losing its node.</summary>
    public int Replays => Volatile.Read(ref _replays);

    /// <summary>The node the utterance is on or being placed on; null while it waits for a node.</summary>
    public Uri? Node
    {
        get
        {
            lock (_gate)
            {
                return _placement?.Connection.Endpoint.Uri;
            }
        }
    }

    /// <summary>
    /// Partial and final results. Never backwards, across replays too: within a segment the token count only grows,
    /// and each segment has exactly one final. A node Error for this utterance ends the sequence with a
    /// <see cref="SvodException"/> carrying its code; so does UNAVAILABLE when no node took the utterance back within
    /// <see cref="SvodClientOptions.ReconnectTimeout"/>.
    /// </summary>
    public IAsyncEnumerable<Result> Results => _results.Reader.ReadAllAsync();

    internal Task<Started> Started => _started.Task;

    /// <summary>
    /// Sends whole frames (row-major, <see cref="FrameWidth"/> floats each) at the next offset. While the utterance is
    /// between nodes the frames wait in the replay buffer, and the replay delivers them; once the utterance has ended
    /// (see <see cref="Results"/>) they are ignored.
    /// </summary>
    public async Task SendFramesAsync(ReadOnlyMemory<float> frames, CancellationToken cancellationToken = default)
    {
        var width = FrameWidth;
        if (frames.Length % width != 0)
        {
            throw new ArgumentException($"{frames.Length} floats are not whole frames of width {width}",
                nameof(frames));
        }

        var payload = new NativePayload(frames.Length * FramePayload.BytesPerValue(_encoding));
        FramePayload.Encode(frames.Span, _encoding, payload.GetSpan());
        try
        {
            await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            payload.Free();
            throw;
        }

        try
        {
            NodeConnection? live;
            ReplayBuffer.Chunk chunk;
            lock (_gate)
            {
                if (_done)
                {
                    payload.Free();
                    return;
                }

                _buffer.Recycle(); // chunks an Ack dropped: no send can be reading them while this one holds the order
                chunk = _buffer.Add(_framesSent, frames.Length / width, payload);
                _framesSent += frames.Length / width;
                live = LiveConnection;
            }

            if (live is not null)
            {
                await SendOrDeferAsync(live, FramesMessage(chunk.Offset, chunk.Data)).ConfigureAwait(false);
            }
        }
        finally
        {
            ReleaseSending();
        }
    }

    /// <summary>
    /// Sends all <paramref name="frames"/> in messages of <paramref name="chunkFrames"/> frames, then Finalize.
    /// <paramref name="speed"/> 1 paces them in real time (a chunk leaves once its audio would have been spoken:
    /// frames × <see cref="FrameSeconds"/>), 2 twice as fast, 0 as fast as possible. <paramref name="sending"/> runs
    /// just before each message with its first frame and frame count (for latency bookkeeping).
    /// </summary>
    /// <returns>The <see cref="Stopwatch"/> timestamp at which Finalize was sent.</returns>
    public async Task<long> StreamAsync(ReadOnlyMemory<float> frames, int chunkFrames, double speed = 0,
        Action<int, int>? sending = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkFrames, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(speed);
        var width = FrameWidth;
        var count = frames.Length / width;
        var clock = Stopwatch.StartNew();
        for (var offset = 0; offset < count; offset += chunkFrames)
        {
            var n = Math.Min(chunkFrames, count - offset);
            if (speed > 0)
            {
                var due = TimeSpan.FromSeconds((offset + n) * FrameSeconds / speed) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
            }

            sending?.Invoke(offset, n);
            await SendFramesAsync(frames.Slice(offset * width, n * width), cancellationToken).ConfigureAwait(false);
        }

        var finalized = Stopwatch.GetTimestamp();
        await FinalizeAsync(cancellationToken).ConfigureAwait(false);
        return finalized;
    }

    /// <summary>No more frames: the node answers the final once every frame is decoded. Between nodes, the replay
    /// sends Finalize after the frames.</summary>
    public async Task FinalizeAsync(CancellationToken cancellationToken = default)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NodeConnection? live;
            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                _finalizing = true;
                live = LiveConnection;
            }

            if (live is not null)
            {
                await SendOrDeferAsync(live, FinalizeMessage()).ConfigureAwait(false);
            }
        }
        finally
        {
            ReleaseSending();
        }
    }

    /// <summary>Abandons the utterance; <see cref="Results"/> ends without a final.</summary>
    public async Task CancelAsync(CancellationToken cancellationToken = default)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NodeConnection? placed;
            lock (_gate)
            {
                placed = _done ? null : _placement?.Connection;
            }

            End(null);
            if (placed is not null)
            {
                try
                {
                    await placed.SendAsync(new ClientMessage { Cancel = new Cancel { UtteranceId = UtteranceId } },
                        CancellationToken.None).ConfigureAwait(false);
                }
                catch (SvodException e) when (e.Code == ErrorCode.Unavailable)
                {
                    // The node is gone, and the utterance with it.
                }
            }
        }
        finally
        {
            ReleaseSending();
        }
    }
}
