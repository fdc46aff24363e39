using System.Diagnostics;
using Svod.Gpu.Decoding;

namespace Svod.Gpu.Wfst;

/// <summary>
/// Viterbi beam search of frame log-probabilities against a WFST (TLG, HCLG), with the semantics of Kaldi's
/// CudaDecoder on the CPU: per frame the emitting arcs of the last frame's nodes are expanded with cost
/// <c>prev + weight − acoustic_scale × logprob[ilabel − 1]</c> under a cutoff that follows the best token
/// (adaptive beam under aux queue pressure, recovering ×1.2 per frame), max-active cuts the beam by a cost
/// histogram, the epsilon arcs are closed over, and tokens are recombined per state at the frame's end, the
/// others kept for the lattice. Channels and lanes as the RNN-T backends: a channel is one utterance's state
/// (<see cref="WfstChannel"/>), the lane scratch is shared by every channel a call decodes. Not thread-safe.
/// </summary>
public sealed partial class WfstDecoder
{
    private readonly WfstGraph _graph;
    private readonly WfstDecoderOptions _options;
    private readonly WfstChannel[] _channels;
    private readonly WfstLaneScratch _scratch;
    private readonly CallValidator _validator;
    private readonly bool[] _hasEpsilons;
    private WfstDecodeTotals _totals;

    /// <param name="graph">The decoding graph; its input labels are class + 1 (0 = epsilon).</param>
    /// <param name="classes">Log-probs per frame; every input label of the graph must be at most this.</param>
    /// <param name="options">Search settings, checked here.</param>
    /// <param name="numChannels">Utterances decodable at once.</param>
    /// <param name="numLanes">Most entries per <see cref="AdvanceDecoding"/> call.</param>
    /// <param name="maxFramesPerLane">Most frames one entry consumes per call.</param>
    public WfstDecoder(WfstGraph graph, int classes, WfstDecoderOptions options, int numChannels, int numLanes = 1,
        int maxFramesPerLane = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numLanes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFramesPerLane, 1);
        options.Validate();
        if (graph.Start < 0)
        {
            throw new ArgumentException("the graph has no start state (an empty FST decodes nothing)", nameof(graph));
        }

        var ilabels = graph.ILabels;
        for (var a = 0; a < graph.NumEmittingArcs; a++)
        {
            if (ilabels[a] > classes || ilabels[a] < 0)
            {
                throw new ArgumentException(
                    $"graph arc {a} has input label {ilabels[a]}, which reads log-prob column {ilabels[a] - 1}; " +
                    $"the frames have {classes} classes (input labels must be class + 1, 1..{classes})",
                    nameof(graph));
            }
        }

        _graph = graph;
        _options = options;
        Classes = classes;
        NumLanes = numLanes;
        MaxFramesPerLane = maxFramesPerLane;
        _hasEpsilons = new bool[graph.NumStates];
        var nonEmitting = graph.NonEmittingOffsets;
        for (var s = 0; s < graph.NumStates; s++)
        {
            _hasEpsilons[s] = nonEmitting[s + 1] > nonEmitting[s];
        }

        _scratch = new WfstLaneScratch(graph.NumStates, options.AuxCapacity);
        _channels = new WfstChannel[numChannels];
        for (var c = 0; c < numChannels; c++)
        {
            _channels[c] = new WfstChannel();
            StartChannel(_channels[c]);
        }

        _validator = new CallValidator(numChannels, numLanes, 0, classes);
        _totals = default;
    }

    public WfstGraph Graph => _graph;

    public WfstDecoderOptions Options => _options;

    /// <summary>Log-probs per frame.</summary>
    public int Classes { get; }

    public int NumChannels => _channels.Length;

    public int NumLanes { get; }

    public int MaxFramesPerLane { get; }

    /// <summary>Sum over every frame searched so far.</summary>
    public WfstDecodeTotals Totals => _totals;

    /// <summary>Bytes of the lane scratch (shared by all channels).</summary>
    public long ScratchBytes => _scratch.Bytes;

    /// <summary>Resets channels to the start state's epsilon closure, no frames.</summary>
    public void InitDecoding(ReadOnlySpan<int> channels)
    {
        foreach (var channel in channels)
        {
            StartChannel(_channels[_validator.CheckChannel(channel)]);
        }
    }

    /// <summary>A result buffer for <see cref="AdvanceDecoding"/>: frames consumed per entry (no tokens: words are
    /// read with <see cref="GetBestPath"/>, since a lattice search revises them).</summary>
    public AdvanceResult CreateResult() => new(NumLanes, 0);

    /// <summary>Searches up to <see cref="MaxFramesPerLane"/> frames of each entry. An entry's frames are rows of
    /// <see cref="Classes"/> log-probabilities; a channel appears at most once.</summary>
    public void AdvanceDecoding(ReadOnlySpan<DecodeRequest> batch, AdvanceResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        _validator.Validate(batch, result);
        var started = Stopwatch.GetTimestamp();
        result.Reset(batch.Length);
        long frames = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var channel = _channels[batch[i].Channel];
            var rows = Math.Min(batch[i].Frames.Length / Classes, MaxFramesPerLane);
            var first = channel.FramesDecoded;
            var logProbs = batch[i].Frames.Span;
            for (var t = 0; t < rows; t++)
            {
                SearchFrame(channel, logProbs.Slice(t * Classes, Classes));
            }

            result.SetEntry(i, batch[i].Channel, first, rows);
            frames += rows;
        }

        _totals.Frames += frames;
        result.Stats.Lanes = batch.Length;
        result.Stats.Frames = frames;

        // The search has no pack/joint/predictor split; its whole time is filed under the joint, the step loop.
        result.Stats.JointTicks = Stopwatch.GetTimestamp() - started;
    }

    public int NumFramesDecoded(int channel) => _channels[_validator.CheckChannel(channel)].FramesDecoded;

    /// <summary>States in the channel's post-prune queue (the last frame's nodes).</summary>
    public int ActiveStates(int channel)
    {
        var c = _channels[_validator.CheckChannel(channel)];
        return c.NodeCount - c.FrontierStart;
    }

    /// <summary>The 0-based frame at which no token survived, or -1 (it and later frames were consumed but not
    /// searched; the best path ends before it).</summary>
    public int DeadEndFrame(int channel) => _channels[_validator.CheckChannel(channel)].DeadEndFrame;

    /// <summary>Frames of this channel whose queue overflowed (each one a warning, never a failed decode).</summary>
    public int Overflows(int channel) => _channels[_validator.CheckChannel(channel)].Overflows;

    /// <summary>Bytes of the channel's search history (its lattice so far).</summary>
    public long HistoryBytes(int channel) => _channels[_validator.CheckChannel(channel)].HistoryBytes;
}
