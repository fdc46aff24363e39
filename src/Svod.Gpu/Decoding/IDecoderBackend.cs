using Svod.Gpu.Models;

namespace Svod.Gpu.Decoding;

/// <summary>
/// The AdvanceDecoding contract (Kaldi CudaDecoder's lanes/channels split). A channel is the persistent decoder
/// state of one utterance; a lane is scratch used by whichever channel a call puts in it. Not thread-safe: one
/// caller (a lane pool thread) drives a backend.
/// </summary>
public interface IDecoderBackend : IDisposable
{
    /// <summary>"cpu", "cuda".</summary>
    string Name { get; }

    RnntDims Dims { get; }

    int NumChannels { get; }

    /// <summary>Most entries per AdvanceDecoding call.</summary>
    int NumLanes { get; }

    /// <summary>Most frames one entry consumes per call; the rest wait for the next call.</summary>
    int MaxFramesPerLane { get; }

    /// <summary>Resets channels to the empty hypothesis (zero input, zero LSTM state, no frames).</summary>
    void InitDecoding(ReadOnlySpan<int> channels);

    /// <summary>Decodes up to <see cref="MaxFramesPerLane"/> frames of each entry; a channel appears at most once.</summary>
    void AdvanceDecoding(ReadOnlySpan<DecodeRequest> batch, AdvanceResult result);

    /// <summary>A result buffer sized for this backend.</summary>
    AdvanceResult CreateResult();

    int NumFramesDecoded(int channel);

    /// <summary>The channel's hypothesis so far: token ids and the frame each was emitted on.</summary>
    void GetHypothesis(int channel, out ReadOnlySpan<int> tokens, out ReadOnlySpan<int> tokenFrames);

    /// <summary>Bytes <see cref="SaveChannel"/> writes for the channel now (grows with its tokens).</summary>
    int ChannelStateSize(int channel);

    /// <summary>Writes the channel's state (versioned, see <see cref="ChannelStateFormat"/>); returns bytes written.</summary>
    int SaveChannel(int channel, Span<byte> destination);

    /// <summary>Restores a channel from <see cref="SaveChannel"/> bytes; throws <see cref="FormatException"/> on bytes
    /// that are not a state of this model's shape.</summary>
    void LoadChannel(int channel, ReadOnlySpan<byte> state);

    /// <summary>Sum of the stats of every call so far.</summary>
    DecodeCallStats Totals { get; }
}
