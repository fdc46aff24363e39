using System.Runtime.CompilerServices;

namespace Svod.Gpu.Decoding;

/// <summary>
/// Decodes whole utterances through AdvanceDecoding, the offline twin of a lane pool: every lane holds one
/// utterance and is refilled with the next as soon as its utterance is done, so calls stay full until the tail.
/// Several threads each drive their own backend and take utterances from one shared counter.
/// </summary>
public static class OfflineDecoder
{
    /// <param name="backends">one backend per thread; each is used by its thread only.</param>
    /// <param name="utterances">row-major frames <c>[n, d_model]</c> per utterance.</param>
    /// <param name="completed">called (from decoding threads) with the index of each finished utterance.</param>
    /// <returns>results in utterance order, and the stats of every call summed.</returns>
    public static (DecodedUtterance[] Results, DecodeCallStats Stats) Decode(
        IReadOnlyList<IDecoderBackend> backends, IReadOnlyList<ReadOnlyMemory<float>> utterances,
        Action<int>? completed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backends);
        ArgumentNullException.ThrowIfNull(utterances);
        var results = new DecodedUtterance[utterances.Count];
        var next = new StrongBox<int>(-1);
        var stats = new DecodeCallStats[backends.Count];
        if (backends.Count == 1)
        {
            stats[0] = Run(backends[0], utterances, results, next, completed, cancellationToken);
        }
        else
        {
            var threads = backends.Select((backend, i) => new Thread(() =>
                stats[i] = Run(backend, utterances, results, next, completed, cancellationToken))
            {
                Name = $"svod-decode-{i}",
                IsBackground = true,
            }).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        var total = default(DecodeCallStats);
        foreach (var s in stats)
        {
            total.Add(s);
        }

        return (results, total);
    }

    private static DecodeCallStats Run(
        IDecoderBackend backend, IReadOnlyList<ReadOnlyMemory<float>> utterances, DecodedUtterance[] results,
        StrongBox<int> next, Action<int>? completed, CancellationToken cancellationToken)
    {
        var d = backend.Dims.EncoderDim;
        var slots = Math.Min(backend.NumLanes, backend.NumChannels);
        var utteranceOf = new int[slots];
        var offset = new int[slots];
        var requests = new DecodeRequest[slots];
        var requestSlot = new int[slots];
        var result = backend.CreateResult();
        var stats = default(DecodeCallStats);
        var channels = Enumerable.Range(0, slots).ToArray();
        backend.InitDecoding(channels);
        var busy = 0;
        for (var s = 0; s < slots; s++)
        {
            utteranceOf[s] = Claim(s);
        }

        while (busy > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = 0;
            for (var s = 0; s < slots; s++)
            {
                if (utteranceOf[s] >= 0)
                {
                    requests[count] = new DecodeRequest(s, utterances[utteranceOf[s]][(offset[s] * d)..]);
                    requestSlot[count++] = s;
                }
            }

            backend.AdvanceDecoding(requests.AsSpan(0, count), result);
            stats.Add(result.Stats);
            for (var i = 0; i < count; i++)
            {
                var s = requestSlot[i];
                offset[s] += result.FramesConsumed(i);
                if (offset[s] * d == utterances[utteranceOf[s]].Length)
                {
                    Finish(s);
                    backend.InitDecoding(channels.AsSpan(s, 1));
                    utteranceOf[s] = Claim(s);
                }
            }
        }

        return stats;

        // Takes the next utterance into slot s; empty utterances finish on the spot. Returns -1 when none is left.
        int Claim(int s)
        {
            while (true)
            {
                var u = Interlocked.Increment(ref next.Value);
                if (u >= utterances.Count)
                {
                    return -1;
                }

                if (utterances[u].Length == 0)
                {
                    results[u] = new DecodedUtterance([], []);
                    completed?.Invoke(u);
                    continue;
                }

                offset[s] = 0;
                busy++;
                return u;
            }
        }

        void Finish(int s)
        {
            backend.GetHypothesis(s, out var tokens, out var frames);
            var u = utteranceOf[s];
            results[u] = new DecodedUtterance(tokens.ToArray(), frames.ToArray());
            busy--;
            completed?.Invoke(u);
        }
    }
}
