using System.Diagnostics;
using System.Threading.Channels;
using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>
/// One utterance on a <see cref="SvodClient"/>: send frames in order, then <see cref="FinalizeAsync"/>; read partial
/// and final results from <see cref="Results"/>, which ends after the final that follows Finalize.
/// </summary>
public sealed class UtteranceStream
{
    private readonly SvodClient _client;
    private readonly FrameEncoding _encoding;
    private readonly TaskCompletionSource<Started> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<Result> _results = Channel.CreateUnbounded<Result>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _order = new(1, 1);
    private bool _finalizing;

    internal UtteranceStream(SvodClient client, string utteranceId, FrameEncoding encoding)
    {
        _client = client;
        UtteranceId = utteranceId;
        _encoding = encoding;
    }

    public string UtteranceId { get; }

    /// <summary>Floats per frame the node's model expects.</summary>
    public int FrameWidth => (int)_started.Task.Result.FrameWidth;

    /// <summary>Seconds one frame covers.</summary>
    public float FrameSeconds => _started.Task.Result.FrameSeconds;

    /// <summary>Frames sent so far: the offset of the next frame.</summary>
    public long FramesSent { get; private set; }

    /// <summary>Partial and final results; a node Error for this utterance ends the sequence with a
    /// <see cref="SvodException"/> carrying its code.</summary>
    public IAsyncEnumerable<Result> Results => _results.Reader.ReadAllAsync();

    internal Task<Started> Started => _started.Task;

    /// <summary>Sends whole frames (row-major, <see cref="FrameWidth"/> floats each) at the next offset.</summary>
    public async Task SendFramesAsync(ReadOnlyMemory<float> frames, CancellationToken cancellationToken = default)
    {
        if (frames.Length % FrameWidth != 0)
        {
            throw new ArgumentException($"{frames.Length} floats are not whole frames of width {FrameWidth}", nameof(frames));
        }

        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _client.SendAsync(new ClientMessage
            {
                Frames = new Frames
                {
                    UtteranceId = UtteranceId,
                    Offset = (ulong)FramesSent,
                    Data = FramePayload.Encode(frames.Span, _encoding),
                },
            }, cancellationToken).ConfigureAwait(false);
            FramesSent += frames.Length / FrameWidth;
        }
        finally
        {
            _order.Release();
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

    /// <summary>No more frames: the node answers the final once every frame is decoded.</summary>
    public Task FinalizeAsync(CancellationToken cancellationToken = default)
    {
        _finalizing = true;
        return _client.SendAsync(new ClientMessage { Finalize = new Finalize { UtteranceId = UtteranceId } },
            cancellationToken);
    }

    /// <summary>Abandons the utterance; <see cref="Results"/> ends without a final.</summary>
    public async Task CancelAsync(CancellationToken cancellationToken = default)
    {
        await _client.SendAsync(new ClientMessage { Cancel = new Cancel { UtteranceId = UtteranceId } },
            cancellationToken).ConfigureAwait(false);
        _results.Writer.TryComplete();
        _client.Forget(this);
    }

    internal void OnStarted(Started started) => _started.TrySetResult(started);

    internal void OnResult(Result result)
    {
        _results.Writer.TryWrite(result);
        if (result.IsFinal && _finalizing)
        {
            _results.Writer.TryComplete();
            _client.Forget(this);
        }
    }

    internal void OnError(Error error) => Fail(SvodException.From(error));

    internal void Fail(SvodException error)
    {
        _started.TrySetException(error);
        _results.Writer.TryComplete(error);
        _client.Forget(this);
    }
}
