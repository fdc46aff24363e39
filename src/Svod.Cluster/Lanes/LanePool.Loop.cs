using Svod.Gpu.Decoding;

namespace Svod.Cluster.Lanes;

public sealed partial class LanePool
{
    private void Run()
    {
        var result = _backend.CreateResult();
        var requests = new DecodeRequest[NumLanes];
        var batch = new LaneWork[NumLanes];
        var inBatch = new HashSet<int>();
        var control = new List<Action>();
        try
        {
            while (true)
            {
                var count = 0;
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
                        count = TakeBatch(batch, inBatch);
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

                Decode(batch, requests, count, result);
            }
        }
        finally
        {
            _stopped.TrySetResult();
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

    private void Decode(LaneWork[] batch, DecodeRequest[] requests, int count, AdvanceResult result)
    {
        for (var i = 0; i < count; i++)
        {
            requests[i] = new DecodeRequest(batch[i].Channel, batch[i].Frames);
        }

        var start = _time.GetTimestamp();
        try
        {
            _backend.AdvanceDecoding(requests.AsSpan(0, count), result);
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

            return;
        }

        var busy = _time.GetTimestamp() - start;
        long tokens = 0;
        for (var i = 0; i < count; i++)
        {
            var outcome = new LaneOutcome(result.Channel(i), result.FirstFrame(i), result.FramesConsumed(i),
                result.Tokens(i).ToArray(), result.TokenFrames(i).ToArray());
            tokens += outcome.Tokens.Length;
            batch[i].Client.OnDecoded(outcome);
            batch[i] = null!;
        }

        lock (_gate)
        {
            _calls++;
            _lanesUsed += count;
            _frames += result.Stats.Frames;
            _tokens += tokens;
            _busyTicks += busy;
        }
    }
}
