using Svod.Gpu.Decoding;

namespace Svod.Cluster.Lanes;

public sealed partial class LanePool
{
    /// <summary>
    /// The pool thread: control operations, then the next batch, then the call. Two result buffers alternate so that
    /// the outcomes of call N are handed to the delivery thread and the pool thread goes straight on to take and run
    /// call N+1, whose batch the ready queue has been assembling (oldest-ready first) while call N ran.
    /// </summary>
    private void Run()
    {
        var slots = new[] { new Slot(_backend.CreateResult(), NumLanes), new Slot(_backend.CreateResult(), NumLanes) };
        var requests = new DecodeRequest[NumLanes];
        var inBatch = new HashSet<int>();
        var control = new List<Action>();
        var call = 0;
        try
        {
            while (true)
            {
                var slot = slots[call & 1];
                lock (_gate)
                {
                    while (!_stopping && _ready.Count == 0 && _control.Count == 0)
                    {
                        Monitor.Wait(_gate);
                    }

                    if (_stopping)
                    {
                        return;
                    }

                    control.AddRange(_control);
                    _control.Clear();
                    if (control.Count == 0)
                    {
                        // The slot's previous outcomes (call N-2) were delivered before call N-1 began: see Deliver.
                        slot.Count = TakeBatch(slot.Batch, inBatch);
                    }
                }

                if (control.Count > 0)
                {
                    // Open/close/save/load first, in order; the next pass takes work (a close may have dropped some).
                    foreach (var action in control)
                    {
                        action();
                    }

                    control.Clear();
                    continue;
                }

                if (Decode(slot, requests))
                {
                    _delivery.Hand(slot); // waits until the outcomes of the call before are out
                    call++;
                }
            }
        }
        finally
        {
            _delivery.Hand(null);
        }
    }

    /// <summary>Oldest-ready first, each channel at most once; a second item of one channel stays queued.</summary>
    private int TakeBatch(LaneWork[] batch, HashSet<int> inBatch)
    {
        inBatch.Clear();
        var count = 0;
        var now = _time.GetTimestamp();
        for (var node = _ready.First; node is not null && count < batch.Length;)
        {
            var next = node.Next;
            if (inBatch.Add(node.Value.Channel))
            {
                batch[count++] = node.Value;
                _queueDelayTicks += now - node.Value.ReadyTimestamp;
                _ready.Remove(node);
            }

            node = next;
        }

        return count;
    }

    /// <summary>Runs the call; false when it failed (its clients have been told).</summary>
    private bool Decode(Slot slot, DecodeRequest[] requests)
    {
        var (batch, count) = (slot.Batch, slot.Count);
        for (var i = 0; i < count; i++)
        {
            requests[i] = new DecodeRequest(batch[i].Channel, batch[i].Frames);
        }

        var start = _time.GetTimestamp();
        try
        {
            _backend.AdvanceDecoding(requests.AsSpan(0, count), slot.Result);
        }
#pragma warning disable CA1031 // A backend fault fails this call's channels, not the device's thread.
        catch (Exception e)
#pragma warning restore CA1031
        {
            for (var i = 0; i < count; i++)
            {
                batch[i].Client.OnFailed(batch[i].Channel, e);
                batch[i] = null!;
            }

            return false;
        }

        slot.Busy = _time.GetTimestamp() - start;
        requests.AsSpan(0, count).Clear(); // the frames belong to their channel actors again once delivered
        return true;
    }

    /// <summary>On the delivery thread: outcomes of one call to their channel actors, and the call's stats.</summary>
    private void Deliver(Slot slot)
    {
        var result = slot.Result;
        long tokens = 0;
        for (var i = 0; i < slot.Count; i++)
        {
            var outcome = new LaneOutcome(result.Channel(i), result.FirstFrame(i), result.FramesConsumed(i),
                result.Tokens(i).ToArray(), result.TokenFrames(i).ToArray());
            tokens += outcome.Tokens.Length;
            slot.Batch[i].Client.OnDecoded(outcome);
            slot.Batch[i] = null!;
        }

        lock (_gate)
        {
            _calls++;
            _lanesUsed += slot.Count;
            _frames += result.Stats.Frames;
            _tokens += tokens;
            _busyTicks += slot.Busy;
        }
    }

    /// <summary>One call's batch and result buffer.</summary>
    private sealed class Slot(AdvanceResult result, int lanes)
    {
        public AdvanceResult Result { get; } = result;

        public LaneWork[] Batch { get; } = new LaneWork[lanes];

        public int Count { get; set; }

        public long Busy { get; set; }
    }

    /// <summary>
    /// The delivery thread and its one-slot hand-over: the pool thread hands a decoded slot and may run the next call
    /// at once; handing the one after waits until this one is delivered, so a slot is never refilled while its
    /// outcomes are still being read. A null hand-over ends the thread, and with it the pool.
    /// </summary>
    private sealed class Delivery
    {
        private readonly SemaphoreSlim _free = new(1, 1);
        private readonly SemaphoreSlim _handed = new(0, 1);
        private readonly Thread _thread;
        private readonly Action<Slot> _deliver;
        private readonly Action _stopped;
        private Slot? _slot;

        public Delivery(string name, Action<Slot> deliver, Action stopped)
        {
            _deliver = deliver;
            _stopped = stopped;
            _thread = new Thread(Run) { Name = name, IsBackground = true };
            _thread.Start();
        }

        public void Hand(Slot? slot)
        {
            _free.Wait();
            _slot = slot;
            _handed.Release();
        }

        private void Run()
        {
            try
            {
                while (true)
                {
                    _handed.Wait();
                    if (_slot is not { } slot)
                    {
                        return;
                    }

                    _deliver(slot);
                    _free.Release();
                }
            }
            finally
            {
                _stopped();
            }
        }
    }
}
