using System.Diagnostics;
using Svod.Gpu.Decoding;

namespace Svod.Cluster.Lanes;

/// <summary>
/// One device's lanes: a dedicated thread that owns an <see cref="IDecoderBackend"/> (backends are not thread-safe)
/// and its channel table. Channels are leased as slots; work for ready channels waits in one queue and each call
/// takes up to <c>NumLanes</c> of it, oldest-ready first, a channel at most once per call. Operations on the channel
/// table from other threads (open, close, save, load) run on the pool thread between calls, in order. Outcomes reach
/// their clients from a second thread while the pool thread already runs the next call.
/// </summary>
public sealed partial class LanePool : IAsyncDisposable
{
    private readonly IDecoderBackend _backend;
    private readonly TimeProvider _time;
    private readonly Thread _thread;
    // A monitor, not System.Threading.Lock: the pool thread sleeps on it with Monitor.Wait until work or control arrives.
    private readonly object _gate = new();
    private readonly LinkedList<LaneWork> _ready = new();
    private readonly Queue<Action> _control = new();
    private readonly Stack<int> _free = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Delivery _delivery;
    private bool _stopping;

    private long _calls;
    private long _lanesUsed;
    private long _frames;
    private long _tokens;
    private long _busyTicks;
    private long _queueDelayTicks;

    public LanePool(IDecoderBackend backend, TimeProvider? time = null, string name = "svod-lanes")
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
        _time = time ?? TimeProvider.System;
        for (var channel = backend.NumChannels - 1; channel >= 0; channel--)
        {
            _free.Push(channel);
        }

        _delivery = new Delivery($"{name}-out", Deliver, () => _stopped.TrySetResult());
        _thread = new Thread(Run) { Name = name, IsBackground = true };
        _thread.Start();
    }

    public int NumChannels => _backend.NumChannels;

    public int NumLanes => _backend.NumLanes;

    /// <summary>Channels leased now.</summary>
    public int OpenChannels
    {
        get
        {
            lock (_gate)
            {
                return NumChannels - _free.Count;
            }
        }
    }

    /// <summary>Leases a channel slot, reset to the empty hypothesis before any work for it runs. False when every
    /// slot is in use (admission control answers RESOURCE_EXHAUSTED).</summary>
    public bool TryOpenChannel(out int channel)
    {
        lock (_gate)
        {
            ThrowIfStopping();
            if (!_free.TryPop(out channel))
            {
                return false;
            }

            var opened = channel;
            _control.Enqueue(() => _backend.InitDecoding([opened]));
            Monitor.Pulse(_gate);
            return true;
        }
    }

    /// <summary>Returns a slot: queued work for it is dropped, and the slot is free once the pool thread has reset it.
    /// An outcome already delivered for the channel may still be in its client's mailbox.</summary>
    public void CloseChannel(int channel)
    {
        lock (_gate)
        {
            ThrowIfStopping();
            for (var node = _ready.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Channel == channel)
                {
                    _ready.Remove(node);
                }

                node = next;
            }

            _control.Enqueue(() =>
            {
                _backend.InitDecoding([channel]);
                lock (_gate)
                {
                    _free.Push(channel);
                }
            });
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>The channel's state bytes (see ChannelStateFormat), taken between calls.</summary>
    public Task<byte[]> SaveChannelAsync(int channel) => OnPoolThread(() =>
    {
        var state = new byte[_backend.ChannelStateSize(channel)];
        _backend.SaveChannel(channel, state);
        return state;
    });

    /// <summary>Restores a channel from saved bytes, between calls; a malformed state fails the task.</summary>
    public Task LoadChannelAsync(int channel, byte[] state) => OnPoolThread(() =>
    {
        _backend.LoadChannel(channel, state);
        return true;
    });

    /// <summary>Queues frames ready for a channel (at most one work item per channel at a time). A channel outside
    /// the table or frames that are not whole frames are refused here, not in the call they would break.</summary>
    public void Enqueue(LaneWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)work.Channel, (uint)NumChannels, nameof(work));
        if (work.Frames.Length % _backend.Dims.EncoderDim != 0)
        {
            throw new ArgumentException(
                $"{work.Frames.Length} floats are not whole frames of width {_backend.Dims.EncoderDim}", nameof(work));
        }

        lock (_gate)
        {
            ThrowIfStopping();
            _ready.AddLast(work with { ReadyTimestamp = _time.GetTimestamp() });
            Monitor.Pulse(_gate);
        }
    }

    public LanePoolStats Stats
    {
        get
        {
            lock (_gate)
            {
                return new LanePoolStats(_calls, _lanesUsed, _frames, _tokens,
                    _time.GetElapsedTime(0, _busyTicks), _time.GetElapsedTime(0, _queueDelayTicks),
                    NumChannels - _free.Count);
            }
        }
    }

    /// <summary>Stops the thread after the call in progress; queued work is dropped. The backend is the caller's.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        await _stopped.Task.ConfigureAwait(false);
    }

    private Task<T> OnPoolThread<T>(Func<T> operation)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ThrowIfStopping();
            _control.Enqueue(() =>
            {
                try
                {
                    done.SetResult(operation());
                }
#pragma warning disable CA1031 // The failure belongs to the caller awaiting this operation, not to the pool thread.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    done.SetException(e);
                }
            });
            Monitor.Pulse(_gate);
        }

        return done.Task;
    }

    private void ThrowIfStopping() => ObjectDisposedException.ThrowIf(_stopping, this);
}
