using System.Diagnostics;
using Svod.Gpu.Decoding;
using Svod.Gpu.Wfst;

namespace Svod.Cluster.Cli;

/// <summary>
/// Decodes utterances through a <see cref="WfstDecoder"/> as a lane pool would: every channel holds an utterance,
/// each call advances all of them by up to the decoder's frames per call, and a finished channel is read (best path
/// with final weights, the lattice if asked) and started on the next utterance.
/// </summary>
internal sealed class WfstBatchRun(WfstDecoder decoder, IReadOnlyList<float[]> utterances, bool progress)
{
    public double Seconds { get; private set; }

    public WfstDecodeTotals Totals => decoder.Totals;

    /// <summary>History bytes per frame over all utterances (what a channel grows by per frame).</summary>
    public double HistoryBytesPerFrame { get; private set; }

    /// <summary>The largest post-prune queue seen at an utterance's end, as (state, cost) pairs.</summary>
    public long MaxFrontierBytes { get; private set; }

    /// <summary>Decodes everything; <paramref name="finished"/> gets each utterance's index, best path and lattice
    /// (null unless <paramref name="lattices"/>) in the order they finish. Time spent in it is not counted.</summary>
    public void Run(Action<int, WfstPath, WfstGraph?> finished, bool lattices, CancellationToken cancellationToken)
    {
        var lanes = decoder.NumLanes;
        var utteranceOf = new int[lanes];
        var position = new int[lanes];
        var next = 0;
        var active = 0;
        for (var c = 0; c < lanes; c++)
        {
            utteranceOf[c] = next < utterances.Count ? next++ : -1;
            active += utteranceOf[c] >= 0 ? 1 : 0;
        }

        var result = decoder.CreateResult();
        var batch = new DecodeRequest[lanes];
        var done = new Progress("utterances decoded", utterances.Count, progress);
        long historyBytes = 0, frames = 0, excluded = 0;
        var clock = Stopwatch.StartNew();
        while (active > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = 0;
            for (var c = 0; c < lanes; c++)
            {
                if (utteranceOf[c] >= 0)
                {
                    batch[count++] = new DecodeRequest(c, utterances[utteranceOf[c]].AsMemory(position[c]));
                }
            }

            decoder.AdvanceDecoding(batch.AsSpan(0, count), result);
            for (var i = 0; i < count; i++)
            {
                var c = result.Channel(i);
                position[c] += result.FramesConsumed(i) * decoder.Classes;
                if (position[c] < utterances[utteranceOf[c]].Length)
                {
                    continue;
                }

                var path = decoder.GetBestPath(c);
                var lattice = lattices ? decoder.GetLattice(c) : null;
                historyBytes += decoder.HistoryBytes(c);
                frames += decoder.NumFramesDecoded(c);
                MaxFrontierBytes = Math.Max(MaxFrontierBytes, 8L * decoder.ActiveStates(c));
                var outside = Stopwatch.GetTimestamp();
                finished(utteranceOf[c], path, lattice);
                done.Advance();
                excluded += Stopwatch.GetTimestamp() - outside;

                utteranceOf[c] = next < utterances.Count ? next++ : -1;
                position[c] = 0;
                decoder.InitDecoding([c]);
                active -= utteranceOf[c] >= 0 ? 0 : 1;
            }
        }

        Seconds = clock.Elapsed.TotalSeconds - (double)excluded / Stopwatch.Frequency;
        done.Done();
        HistoryBytesPerFrame = frames == 0 ? 0 : (double)historyBytes / frames;
    }
}
